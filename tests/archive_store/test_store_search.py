"""Chinese full-text search: 1-, 2-, 4-character and long queries, names, ID numbers, NFKC,
OCR spacing, snippets with page numbers, filters, and community scope inside the query — on SQLite
(FTS5) and on PostgreSQL (tsvector + GIN), the same tests."""

from __future__ import annotations

import datetime as dt
import itertools
import os

import pytest
from sqlalchemy import select

from archive_store import fts_postgres, fts_sqlite
from archive_store.communities import resolve
from archive_store.index import index_pages, indexed_page_ids, unindex_pages
from archive_store.publish import publish_volume
from archive_store.search import normalize_class, search
from archive_store.tables import AuditRow, PageRow, PageTextRow
from handover import idnumber
from handover.config import Settings
from handover.db import session_scope
from tests.support.sample_volume import SamplePerson, write_sample_volume

from .helpers import ERQI, JINSHUI

PLANTED = "经研究，同意张建国同志退休审批，工资待遇按规定执行。"
SPACED = "退 休 人 员 档 案 已 移 交 社 区 ， 于 １９６９ 年 参 加 工 作"
SPLIT = "申请退休。审批意见：同意"


_databases = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request):
    """"" (the default SQLite file in the data folder) or a fresh database on the test
    PostgreSQL server, for the module's corpus."""
    if request.param == "sqlite":
        yield ""
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"search{os.getpid()}_{next(_databases)}"
    yield cluster.create_database(name)
    cluster.drop_database(name)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, database_url):
    """Two communities; returns (settings, persons by name, community ids)."""
    root = tmp_path_factory.mktemp("search")
    cfg = Settings(data_dir=root / "data", database_url=database_url)
    people = {}

    def add(name, dest, n, extra=None, materials=3, area="410105"):
        person = SamplePerson(idnumber.make(area, dt.date(1950 + n, 1 + n % 12, 10 + n % 10), 2 * n + 1), name,
                              "男", dt.date(1950 + n, 1 + n % 12, 10 + n % 10), "郑州第一纺织厂")
        vol = write_sample_volume(root / f"v{n}", person, seed=n, materials=materials, extra_texts=extra)
        publish_volume(cfg, vol, dest, "henan-zhengzhou", "入库员")
        people[name] = person

    add("张建国", JINSHUI, 1, {1: PLANTED}, materials=14)
    add("李秀兰", JINSHUI, 2, {1: SPACED, 2: "对照词"})
    add("赵德明", JINSHUI, 3, {1: SPLIT})
    for i in range(4):  # the other community: many pages carrying the same word, and a 张
        add(f"张{'一二三四'[i]}丰", ERQI, 10 + i, {k: "对照词对照词对照词" for k in range(1, 6)},
            area="410103")
    with session_scope(cfg) as s:
        ids = {"jinshui": resolve(s, "纬五路社区").id, "erqi": resolve(s, "五里堡社区").id}
    return cfg, people, ids


def run(corpus, query, scope=None, **kw):
    cfg = corpus[0]
    with session_scope(cfg) as s:
        return search(s, query, scope, actor="检索员", **kw)


@pytest.mark.parametrize("query", ["张", "工资", "退休审批", "同意张建国同志退休审批"])
def test_one_two_four_and_many_character_queries(corpus, query):
    hits = run(corpus, query, [corpus[2]["jinshui"]])
    assert hits, query
    assert all(query in h.snippet.replace("【", "").replace("】", "") for h in hits if h.matched == "text")
    assert any(f"【{query}】" in h.snippet or query in h.snippet for h in hits)


def test_snippet_carries_the_page_number_of_the_hit(corpus):
    hits = run(corpus, "退休审批", [corpus[2]["jinshui"]])
    planted = [h for h in hits if h.name == "张建国" and "同志【退休审批】" in h.snippet]
    assert planted and planted[0].page_seq == 1 and planted[0].page_no == 1
    assert planted[0].material_title and planted[0].class_code == "一"


def test_a_phrase_does_not_match_across_punctuation(corpus):
    names = {h.name for h in run(corpus, "退休审批", None)}
    assert "赵德明" not in names  # 退休。审批 is not 退休审批
    assert "赵德明" in {h.name for h in run(corpus, "退休 审批", None)}  # two terms, ANDed


def test_ocr_spacing_and_full_width_forms_are_normalised(corpus):
    for query in ("退休人员档案", "移交社区", "１９６９", "1969", "退休　人员"):
        hits = run(corpus, query, None)
        assert "李秀兰" in {h.name for h in hits}, query


def test_names_are_found_first(corpus):
    hits = run(corpus, "李秀兰", None)
    assert hits[0].matched == "name" and hits[0].name == "李秀兰"
    assert hits[0].page_no == 1


@pytest.mark.parametrize("cut", [4, 6, 18])
def test_id_number_whole_or_last_digits(corpus, cut):
    person = corpus[1]["李秀兰"]
    query = person.id_number[-cut:]
    hits = run(corpus, query, None)
    assert hits[0].matched == "id_number" and hits[0].name == "李秀兰"
    assert person.id_number not in hits[0].snippet and person.id_number not in hits[0].id_number_masked


def test_id_number_in_full_width_digits_with_spaces(corpus):
    person = corpus[1]["张建国"]
    query = " ".join(person.id_number[i:i + 6] for i in range(0, 18, 6)).translate(
        str.maketrans("0123456789", "０１２３４５６７８９"))
    assert run(corpus, query, None)[0].name == "张建国"


def test_scope_is_applied_inside_the_query(corpus):
    ids = corpus[2]
    everywhere = run(corpus, "张", None, limit=200)
    assert {h.community_id for h in everywhere} == {ids["jinshui"], ids["erqi"]}
    for mine, other in (("jinshui", "erqi"), ("erqi", "jinshui")):
        hits = run(corpus, "张", [ids[mine]], limit=200)
        assert hits and all(h.community_id == ids[mine] for h in hits)
    # The other community has far more (and denser) pages with 对照词: a filter applied after
    # LIMIT would return nothing here.
    top = run(corpus, "对照词", [ids["jinshui"]], limit=1)
    assert [h.name for h in top] == ["李秀兰"]
    assert run(corpus, "张一丰", [ids["jinshui"]]) == []  # not even the exact-name field
    erqi_id = corpus[1]["张一丰"].id_number
    assert run(corpus, erqi_id[-6:], [ids["jinshui"]]) == []
    assert run(corpus, "张", []) == []


def test_postgresql_scans_only_the_partitions_of_the_scope(corpus):
    """The index is partitioned by community (revision 0008): a scoped search reads the GIN
    indexes of its communities' partitions only, an unscoped one all of them, and each page sits
    in its volume's community's partition."""
    from sqlalchemy import text

    from archive_store.tokens import compile_query

    cfg, ids = corpus[0], corpus[2]
    if not cfg.db_url.startswith("postgresql"):
        pytest.skip("FTS5 has no partitions; its scope is inside the MATCH expression")

    def partitions_read(scope):
        params = fts_postgres.query_params(compile_query("对照词"), scope)
        plan = s.execute(text(f"EXPLAIN (FORMAT JSON) SELECT page_fts.page_id FROM page_fts "
                              f"WHERE {fts_postgres.match(scope)}"), params).scalar()
        found, nodes = set(), [plan[0]["Plan"]]
        while nodes:
            node = nodes.pop()
            if node.get("Relation Name", "").startswith("page_fts_p"):
                found.add(node["Relation Name"])
            nodes.extend(node.get("Plans", []))
        return found

    with session_scope(cfg) as s:
        home = dict(s.execute(text("SELECT community_id, tableoid::regclass::text FROM page_fts GROUP BY 1, 2")).all())
        assert set(home) == set(ids.values())
        assert s.execute(text("SELECT count(*) FROM page_fts f JOIN pages p ON p.id = f.page_id "
                              "JOIN volumes v ON v.id = p.volume_id WHERE v.community_id <> f.community_id")).scalar() == 0
        assert partitions_read([ids["erqi"]]) == {home[ids["erqi"]]}
        assert partitions_read(list(ids.values())) == set(home.values())
        assert len(partitions_read(None)) == 16


def test_pages_with_more_occurrences_rank_first(corpus):
    hits = run(corpus, "对照词", None, limit=50)
    # the other community's pages carry 对照词 three times, 李秀兰's page once
    assert len(hits) == 16 and hits[-1].name == "李秀兰" and hits[0].score < hits[-1].score


def test_class_and_date_filters(corpus):
    hits = run(corpus, "工资", None, class_code="9", limit=100)
    assert hits and all(normalize_class(h.class_code).startswith("九") for h in hits)
    assert run(corpus, "工资", None, class_code="九-1")
    assert all(h.class_code == "九-1" for h in run(corpus, "工资", None, class_code="9-1"))
    assert run(corpus, "工资", None, date_from=dt.date(2100, 1, 1)) == []
    assert normalize_class("９－２") == "九-2"


def test_every_search_is_audited_with_masked_id_numbers(corpus):
    person = corpus[1]["李秀兰"]
    run(corpus, person.id_number, None, reason="核对身份")
    with session_scope(corpus[0]) as s:
        row = s.scalars(select(AuditRow).where(AuditRow.action == "search")
                        .order_by(AuditRow.id.desc())).first()
        assert row.actor == "检索员" and row.reason == "核对身份" and row.detail["hits"] >= 1
        assert person.id_number not in row.target and person.id_number[-4:] in row.target


def test_common_words_list_newest_pages_first_without_losing_any(corpus, monkeypatch):
    import archive_store.search as search_module

    ids = corpus[2]
    ranked = run(corpus, "张", [ids["jinshui"]], limit=500)
    filtered = run(corpus, "工资", None, class_code="九", limit=500)
    assert ranked[0].score < 0 and ranked == sorted(ranked, key=lambda h: h.score)  # bm25
    monkeypatch.setattr(search_module, "RANK_WINDOW", 2)  # every query is "common" now
    for backend in (fts_sqlite, fts_postgres):  # newest page ids first, widening: 3 ids, 30, all
        monkeypatch.setattr(backend, "RECENT_SPANS", (3, 30, None))
    recent = run(corpus, "张", [ids["jinshui"]], limit=500)
    assert {(h.volume_id, h.page_seq) for h in recent} == {(h.volume_id, h.page_seq) for h in ranked}
    assert all(h.community_id == ids["jinshui"] for h in recent)
    order = [(h.volume_id, h.page_seq) for h in recent]
    assert order == sorted(order, reverse=True)  # newest stored first
    for limit in (1, 4, 12):  # whichever window the first LIMIT matches are found in
        assert [(h.volume_id, h.page_seq) for h in run(corpus, "张", [ids["jinshui"]], limit=limit)] \
            == order[:limit]
    assert {(h.volume_id, h.page_seq) for h in run(corpus, "工资", None, class_code="九", limit=500)} \
        == {(h.volume_id, h.page_seq) for h in filtered}
    assert len(run(corpus, "张", None, limit=2)) == 2


def test_unindexed_pages_leave_search_and_reindexed_text_is_found(corpus):
    """What a review correction does (archive_store.review): unindex the old text, index the new,
    in the caller's transaction."""
    cfg, ids = corpus[0], corpus[2]
    with session_scope(cfg) as s:
        [hit] = [h for h in search(s, "同意张建国同志退休审批", None) if h.matched == "text"]
        page_id, old = s.execute(select(PageRow.id, PageTextRow.text).join(PageTextRow)
                                 .where(PageRow.volume_id == hit.volume_id, PageRow.seq == hit.page_seq)).one()
        unindex_pages(s, [(page_id, old, ids["jinshui"])])
        assert not [h for h in search(s, "同意张建国同志退休审批", None) if h.matched == "text"]
        assert page_id not in indexed_page_ids(s, ids["jinshui"])
        # a long page too: past PostgreSQL's last tsvector position and 256 positions per lexeme
        index_pages(s, [(page_id, "更正后：同意张建国同志提前退休" + "中" * 20_000, ids["jinshui"])])
        assert [h.page_seq for h in search(s, "提前退休", [ids["jinshui"]])] == [hit.page_seq]
        assert page_id in indexed_page_ids(s, ids["jinshui"])
        assert page_id not in indexed_page_ids(s, ids["erqi"])
        s.rollback()
    with session_scope(cfg) as s:
        assert not search(s, "提前退休", None)


def test_postgresql_decides_rank_or_newest_from_the_planner_and_sizes_the_windows(corpus, monkeypatch):
    """Counting matches reads a heap row per match on PostgreSQL, so ``more_than`` asks the
    planner first: a word's estimate comes from ANALYZE's statistics, a phrase's is its rarest
    token's (never below what it finds), and only an estimate near n is checked by counting."""
    from sqlalchemy import text

    from archive_store.tokens import compile_query

    cfg, ids = corpus[0], corpus[2]
    if not cfg.db_url.startswith("postgresql"):
        pytest.skip("the planner's estimate is PostgreSQL's; SQLite counts in the index")
    with session_scope(cfg) as s:
        s.execute(text("ANALYZE page_fts"))

        def found(query, scope):
            q = fts_postgres.query_params(compile_query(query), scope)["q"]
            return s.execute(text("SELECT count(*) FROM page_fts WHERE doc @@ CAST(:q AS tsquery)"),
                             {"q": q}).scalar()

        erqi = [ids["erqi"]]
        words, everywhere = found("对照词", erqi), found("对照词", None)
        assert words >= 4
        assert everywhere / 2 <= fts_postgres.estimated_matches(s, compile_query("对照词"), None) <= everywhere * 2
        for phrase in ("退休审批", "同意张建国同志退休审批"):
            assert fts_postgres.estimated_matches(s, compile_query(phrase), None) >= found(phrase, None) >= 1

        def decide(query, scope, n, everywhere, in_scope, limit=20):
            monkeypatch.setattr(fts_postgres, "estimated_matches", lambda _s, _c, sc: in_scope if sc else everywhere)
            compiled = compile_query(query)
            return fts_postgres.recent_windows(s, compiled, scope, fts_postgres.query_params(compiled, scope), n, limit)

        spans = fts_postgres.RECENT_SPANS
        assert decide("对照词", erqi, words - 1, words, words) is not None  # unsure: counted
        assert decide("对照词", erqi, words, words, words) is None
        assert decide("对照词", erqi, words, 0, 0) is None  # sure: the estimates decide alone
        assert decide("对照词", erqi, words, 5 * words, 5 * words) is not None
        # a word concentrated in one community, undercounted there: counted, not taken as rare
        assert decide("对照词", erqi, words - 1, 10 * words, words / 10) is not None
        # windows: widened so that the first is expected to hold twice the page's hits, never narrowed
        pages = fts_postgres.estimated_pages(s)
        assert pages == s.execute(text("SELECT count(*) FROM page_fts")).scalar()  # just analysed
        assert decide("对照词", erqi, 1, 10 ** 9, 10 ** 9) == spans
        # one match expected in the whole table, 100 wanted: the first window spans 200 tables' ids
        assert 200 * pages > spans[0]
        windows = decide("对照词", erqi, 1, 10 ** 9, 1, limit=100)
        assert windows[0] == pytest.approx(200 * pages, rel=0.01) and windows[-1] is None
        assert [w / windows[0] for w in windows[:-1]] == pytest.approx([w / spans[0] for w in spans[:-1]], rel=1e-3)
