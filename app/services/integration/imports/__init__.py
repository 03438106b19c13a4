"""Bulk import and export (批量导入导出) of organisations and members, CSV or XLSX.

Every row goes through the same rules as the API: ID number checksum and legacy
upgrade, dates, phone, parent rules, scope. Cells are read the way people fill
spreadsheets: dates as 2007-07-01, 2007/7/1, 2007.07.01, 2007年7月1日 or Excel dates;
ID numbers stored as Excel numbers when exact (a rounded one is refused with the hint
to format the column as text); enum columns as Chinese labels (正式党员) or codes
(full). A refused row lists all its faults, each naming the column as headed in the
file and echoing the cell, in the caller's language (zh-CN by default). Rows upsert by
organisation `code` or member ID number, so importing the same file twice changes
nothing. Members are written in batches (multi-row INSERTs, not row-by-row flushes),
each with its audit event and change-feed event. Exports use the import's headers and
Chinese labels (`labels=codes` writes the codes), so a round trip is lossless for a
caller with PII rights.
"""

from app.services.integration.imports.exports import (
    XLSX_MEDIA,
    ExportFile,
    ExportFormat,
    LabelStyle,
    export_batches,
    export_file,
    export_rows,
)
from app.services.integration.imports.jobs import (
    Started,
    get_job,
    job_view,
    require_importer,
    run_import,
    start_import,
)
from app.services.integration.imports.parsing import BACKGROUND_ROWS, ImportFileError, read_records
from app.services.integration.imports.streaming import export_csv, export_xlsx
from app.services.integration.imports.template import TemplateFormat, template

__all__ = [
    "BACKGROUND_ROWS",
    "XLSX_MEDIA",
    "ExportFile",
    "ExportFormat",
    "ImportFileError",
    "LabelStyle",
    "Started",
    "TemplateFormat",
    "export_batches",
    "export_csv",
    "export_file",
    "export_rows",
    "export_xlsx",
    "get_job",
    "job_view",
    "read_records",
    "require_importer",
    "run_import",
    "start_import",
    "template",
]
