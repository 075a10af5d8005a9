"""docgen: the transfer documents of the seeds as DOCX (office-editable templates), PDF and XLSX.

Public API:

* ``docgen.bundle.generate_bundle(enterprise, retirees, profile, out_dir, assignments=None,
  volumes=None, progress=None, *, pdf=True, per_person=None, missing=None, receipts=None) -> Manifest``
* ``docgen.model.TableDocument`` — one model for a tabular document; ``docgen.documents`` builds
  it (花名册, 档案移交名册表 per street — ``archive_transfer_rosters`` takes the received figures as
  ``docgen.records.ReceiptLine`` per person —, 档案材料缺失情况一览表, 党员组织关系转接名册, 案卷目录, 台账, 卷内目录);
  ``docgen.docx_tables.render_table_docx`` / ``docgen.pdf_tables.render_table_pdf`` /
  ``docgen.xlsx.write_xlsx`` render it.
* ``docgen.forms`` (调查表, 基本信息表 grids and values), ``docgen.forms_docx.FormRenderer``,
  ``docgen.pdf_forms.render_forms_pdf``.
* ``docgen.text_docs`` (移交协议, 书面说明, 备考表, 联系卡 contexts + ``render``),
  ``docgen.figures`` (pure computations), ``docgen.records`` (archive-side input records),
  ``docgen.convert.convert_to_pdf`` (LibreOffice, text documents only).
* ``python -m docgen.build_templates`` rebuilds templates/docx/.
"""
