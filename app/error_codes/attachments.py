"""Messages of the problem codes of attachments: code -> (zh-CN, en)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "attachment.not_found": ("附件不存在", "No such attachment"),
    "attachment.empty": ("文件为空", "The file is empty"),
    "attachment.too_large": ("附件过大", "The attachment is too large"),
    "attachment.type_not_allowed": (
        "不允许的文件类型（按文件内容识别）",
        "This type of file is not accepted (recognised from its content)",
    ),
    "attachment.type_mismatch": (
        "文件内容与文件名或声明的类型不符",
        "The content does not match the file name or the declared type",
    ),
    "attachment.storage_unavailable": (
        "附件存储不可用，请稍后重试",
        "The attachment storage is unavailable; try again later",
    ),
}
