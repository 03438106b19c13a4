"""Bulk import and export (批量导入导出) of organisations and members, CSV or XLSX.

Every row goes through the same rules as the API: ID number checksum and legacy
upgrade, dates, phone, parent rules, scope. Rows upsert by organisation `code` or
member ID number, so importing the same file twice changes nothing. Members are
written in batches (multi-row INSERTs, not row-by-row flushes), each with its audit
event and change-feed event. Exports use the import's headers, so a round trip is
lossless for a caller with PII rights.
"""

from app.services.integration.imports.exports import export_csv, export_rows, export_xlsx
from app.services.integration.imports.jobs import require_importer, run_import, template
from app.services.integration.imports.parsing import BACKGROUND_ROWS, ImportFileError, read_records

__all__ = [
    "BACKGROUND_ROWS",
    "ImportFileError",
    "export_csv",
    "export_rows",
    "export_xlsx",
    "read_records",
    "require_importer",
    "run_import",
    "template",
]
