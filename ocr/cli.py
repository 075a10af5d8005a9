"""Click commands of the OCR package; ``handover_app/cli.py`` registers them as
``handover digitize`` and ``handover sample scans``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from handover.cli_errors import DomainCommand

from .engines import ENGINES
from .handfonts import FACES as HAND_FACES

console = Console()


@click.command("digitize", cls=DomainCommand)
@click.argument("dossier", type=click.Path(path_type=Path))
@click.option("--id", "id_number", required=True, help="退休人员公民身份号码")
@click.option("--engine", type=click.Choice(ENGINES), default=None, help="OCR引擎（默认按配置 HANDOVER_OCR_ENGINE，即 rapidocr）")
@click.option("--jobs", type=int, default=None, help="并行处理的页数（默认按CPU核数）")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="输出的卷目录")
@click.option("--name", default=None, help="姓名（写入PDF元数据）")
@click.option("--ref-no", default=None, help="档号（写入PDF元数据）")
@click.option("--profile", "region", default=None, help="地区政策配置（决定编页方式）")
@click.option("--stamp/--no-stamp", default=False, help="在页面角上加印页号")
@click.option("--pdfa/--no-pdfa", default=None, help="生成 PDF/A-2b 长期保存格式（默认按配置 HANDOVER_PDFA，开启）")
def digitize_command(dossier: Path, id_number: str, engine: str | None, jobs: int | None, out_dir: Path,
                     name: str | None, ref_no: str | None, region: str | None, stamp: bool, pdfa: bool | None) -> None:
    """将一份扫描的人事档案数字化：纠偏、识别、编页、拆分材料，生成可检索的卷。"""
    from handover.config import settings

    from .pipeline import digitize

    cfg = settings()
    engine = engine or cfg.ocr_engine
    pagination = None
    if region:
        from handover.policy import load_profile

        pagination = load_profile(region).pagination
    columns = (TextColumn("[bold]数字化[/bold]"), BarColumn(), MofNCompleteColumn(), TextColumn("页"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("pages", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
        result = digitize(dossier, id_number, out_dir, engine=engine, jobs=jobs, pagination=pagination,
                          progress=progress, name=name, ref_no=ref_no, stamp_page_numbers=stamp,
                          pdfa=cfg.pdfa if pdfa is None else pdfa)
    console.print(f"已生成卷：{out_dir}（{result.content_pages}页，空白页{result.blank_pages}，"
                  f"重复页{result.duplicate_pages}，材料{len(result.contents)}份，引擎 {engine}）")
    for w in result.warnings:
        console.print(f"[yellow]提示：[/yellow]{w.message}")


@click.command("scans", cls=DomainCommand)
@click.option("--dossiers", "n", type=int, default=3, show_default=True, help="生成的档案份数")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="输出目录")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--region", default="henan-zhengzhou", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["jpg", "pdf", "tiff"]), default="jpg", show_default=True)
@click.option("--hand", type=click.Choice(["kai", "mixed", *HAND_FACES]), default="mixed", show_default=True,
              help="填写内容的字迹：mixed＝每份档案随机一种手写字体（默认，如实际档案）；kai＝楷体印刷字；或指定一种手写字体（"
                   + "、".join(f"{k}＝{v.label}" for k, v in HAND_FACES.items()) + "）")
def sample_scans_command(n: int, out_dir: Path, seed: int, region: str, fmt: str, hand: str) -> None:
    """生成逼真的扫描人事档案样例（300dpi，手写填写内容，含倾斜、旋转、空白页、重复页）及其真值JSON。"""
    from .sample_scans import SampleOptions, generate

    made = generate(out_dir, n, seed=seed, region=region, options=SampleOptions(fmt=fmt, hand=hand))
    pages = sum(len(d.truth["pages"]) for d in made)
    console.print(f"已生成 {len(made)} 份扫描档案（共{pages}幅图像）：{out_dir}")
