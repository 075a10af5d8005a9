from pathlib import Path

from handover.config import load_settings


def test_defaults_without_file_or_environment(tmp_path):
    s = load_settings(env={}, config_file=tmp_path / "absent.toml")
    assert s.data_dir == Path("handover-data")
    assert s.storage == "local" and s.broker == "" and s.ocr_engine == "rapidocr"
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("handover-data/handover.sqlite3")


def test_file_then_environment_take_precedence(tmp_path):
    conf = tmp_path / "handover.toml"
    conf.write_text('data_dir = "/srv/handover"\nstorage = "s3"\njobs = 3\ns3_secure = true\n', encoding="utf-8")
    from_file = load_settings(env={}, config_file=conf)
    assert (from_file.data_dir, from_file.storage, from_file.jobs, from_file.s3_secure) == (
        Path("/srv/handover"), "s3", 3, True)
    env = {"HANDOVER_STORAGE": "local", "HANDOVER_JOBS": "1", "HANDOVER_BROKER": "redis://127.0.0.1:6379/0"}
    both = load_settings(env=env, config_file=conf)
    assert (both.data_dir, both.storage, both.jobs, both.broker) == (
        Path("/srv/handover"), "local", 1, "redis://127.0.0.1:6379/0")


def test_config_file_named_by_environment(tmp_path):
    conf = tmp_path / "elsewhere.toml"
    conf.write_text('database_url = "postgresql://db/handover"\n', encoding="utf-8")
    s = load_settings(env={"HANDOVER_CONFIG": str(conf)})
    assert s.db_url == "postgresql://db/handover"


def test_settings_travel_to_a_child_process_through_the_environment(tmp_path):
    from handover.config import Settings, load_settings, to_env

    cfg = Settings(data_dir=tmp_path / "d", broker="", pdfa=False, jobs=3, intake_root=None, timezone="Asia/Urumqi")
    assert load_settings(env=to_env(cfg), config_file=tmp_path / "none.toml") == cfg
