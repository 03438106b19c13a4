"""Messages of the problem codes of spreadsheet imports and exports:
code -> (zh-CN, en)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "import.not_found": ("导入任务不存在", "No such import job"),
    "import.file_unreadable": ("文件无法读取", "The file cannot be read"),
    "import.file_type": ("请上传 .csv 或 .xlsx 文件", "Upload a .csv or .xlsx file"),
    "import.file_too_large": ("文件过大", "The file is too large"),
    "import.archive_too_large": (
        "XLSX 文件解压后过大或压缩比异常",
        "The XLSX file expands too much (size, ratio or number of entries)",
    ),
    "import.too_many_rows": ("文件行数过多", "The file has too many rows"),
    "import.cell_too_long": ("单元格内容过长", "A cell is too long"),
    "import.columns_missing": ("缺少必填列", "Required columns are missing"),
    "import.empty": ("文件为空", "The file is empty"),
    "import.value_missing": ("必填项为空", "A required value is missing"),
    "import.value_invalid": ("取值无效", "The value is invalid"),
    "import.date_invalid": (
        "日期无效（可写作 2007-07-01、2007/7/1、2007.07.01 或 2007年7月1日）",
        "Not a valid date (2007-07-01, 2007/7/1, 2007.07.01 or written in Chinese)",
    ),
    "import.id_number_precision_lost": (
        "身份证号码被存成数字，末几位已丢失；请把该列设为文本格式",
        "The ID number was stored as a number and lost digits; format the column as text",
    ),
    "import.number_invalid": ("应填写整数", "A whole number is expected"),
    "import.status_unknown": ("未知的党员状态", "Unknown member status"),
    "import.category_unknown": ("未知的人员类别", "Unknown member category"),
    "import.org_unknown": ("党组织不存在或不在管理范围内", "No such organisation in your scope"),
    "import.parent_unknown": (
        "上级党组织不存在或不在管理范围内",
        "No such parent organisation in your scope",
    ),
    "import.parent_cycle": ("上级党组织相互引用", "The parent codes refer to each other"),
    "import.duplicate_in_file": ("与文件中前面的行重复", "The row repeats an earlier row"),
    "import.org_change_requires_transfer": (
        "变更党员所在党组织须办理组织关系转接",
        "Moving a member to another organisation needs a transfer",
    ),
    "import.org_move_not_supported": (
        "导入不能变更党组织的上级或类型",
        "An import cannot change an organisation's parent or type",
    ),
}
