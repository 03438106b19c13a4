"""The caller's language (zh-CN unless `Accept-Language: en` or `?lang=en`) and the
zh-CN wording of the validator's refusals.

Problem titles come from the catalogue (`ErrorCode`); what pydantic refuses before our
code runs (a missing field, a wrong type, a string too long) carries pydantic's English
message, which is answered as is in English and through `ZH_TEMPLATES` in Chinese: a
template per error `type`, filled from the error's context, and a generic message for
any type not listed, so a zh-CN answer never carries pydantic's English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from app.error_codes import ErrorCode

Language = Literal["zh", "en"]


def negotiate(query_lang: str | None, accept_language: str) -> Language:
    """`?lang=` wins (en or zh), then the first zh/en tag of `Accept-Language`; zh-CN."""
    if query_lang:
        tag = query_lang.strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh"
    for part in accept_language.lower().split(","):
        tag = part.split(";")[0].strip()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh"
    return "zh"


@dataclass(frozen=True)
class Text:
    """A problem `detail` written in both languages (`Conflict(code, Text(zh=..., en=...))`)."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en


def localized_detail(detail: Text | None, code: ErrorCode, lang: Language) -> str:
    """A problem's `detail` in `lang`: the raise site's words (always bilingual: `detail`
    is typed `Text`), or the title's catalogue text when it wrote none."""
    if detail is None:
        return code.message(lang)
    return detail.zh if lang == "zh" else detail.en


GENERIC_ZH = "输入值无效"

# pydantic-core's error types (pydantic_core.list_all_errors()) in zh-CN. Placeholders
# name the error's `ctx` keys; a template whose keys are missing falls back to GENERIC_ZH.
ZH_TEMPLATES: dict[str, str] = {
    "missing": "必填项",
    "missing_argument": "必填项",
    "missing_keyword_only_argument": "必填项",
    "missing_positional_only_argument": "必填项",
    "extra_forbidden": "不允许的字段",
    "unexpected_keyword_argument": "不允许的参数",
    "unexpected_positional_argument": "不允许的参数",
    "multiple_argument_values": "参数重复",
    "frozen_field": "该字段不可修改",
    "frozen_instance": "该对象不可修改",
    "no_such_attribute": "不存在的属性",
    "invalid_key": "键必须是字符串",
    "get_attribute_error": "无法读取属性",
    "json_invalid": "JSON 格式错误",
    "json_type": "JSON 输入应为字符串",
    "needs_python_object": "输入值无效",
    "recursion_loop": "数据存在循环引用",
    "recursion_depth_exceeded": "数据嵌套层级过深",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dataclass_type": "应为对象",
    "dataclass_exact_type": "应为对象",
    "named_tuple_type": "应为数组或对象",
    "arguments_type": "应为数组或对象",
    "default_factory_not_called": "其他字段有误，无法计算默认值",
    "none_required": "应为空值 (null)",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "multiple_of": "必须是 {multiple_of} 的倍数",
    "finite_number": "应为有限数值",
    "too_short": "至少需要 {min_length} 项，实际 {actual_length} 项",
    "too_long": "最多 {max_length} 项，实际 {actual_length} 项",
    "iterable_type": "应为数组",
    "iteration_error": "无法逐项读取",
    "string_type": "应为字符串",
    "string_unicode": "应为有效的 Unicode 字符串",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "string_not_ascii": "只能包含 ASCII 字符",
    "enum": "应为以下值之一：{expected}",
    "literal_error": "应为以下值之一：{expected}",
    "dict_type": "应为对象",
    "frozen_dict_type": "应为对象",
    "ordered_dict_type": "应为对象",
    "counter_type": "应为对象",
    "mapping_type": "应为对象",
    "list_type": "应为数组",
    "deque_type": "应为数组",
    "tuple_type": "应为数组",
    "set_type": "应为数组",
    "frozen_set_type": "应为数组",
    "set_item_not_hashable": "数组元素无效",
    "bool_type": "应为布尔值 (true/false)",
    "bool_parsing": "应为布尔值 (true/false)",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_parsing_size": "整数超出范围",
    "int_from_float": "应为整数，不能有小数部分",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bytes_type": "应为字节串",
    "bytes_too_short": "不能少于 {min_length} 个字节",
    "bytes_too_long": "不能超过 {max_length} 个字节",
    "bytes_invalid_encoding": "编码无效",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
    "missing_sentinel_error": "取值无效",
    "ellipsis_error": "取值无效",
    "date_type": "应为日期 (YYYY-MM-DD)",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期不能带有时间",
    "date_past": "日期应早于今天",
    "date_future": "日期应晚于今天",
    "time_type": "应为时间 (HH:MM:SS)",
    "time_parsing": "应为时间，格式 HH:MM:SS",
    "datetime_type": "应为日期时间 (ISO 8601)",
    "datetime_parsing": "应为日期时间，格式 ISO 8601（如 2026-01-31T08:00:00+08:00）",
    "datetime_object_invalid": "日期时间无效",
    "datetime_from_date_parsing": "应为日期或日期时间 (ISO 8601)",
    "datetime_past": "时间应早于现在",
    "datetime_future": "时间应晚于现在",
    "timezone_naive": "不能带时区",
    "timezone_aware": "必须带时区（如 +08:00）",
    "timezone_offset": "时区应为 {tz_expected}",
    "time_delta_type": "应为时长",
    "time_delta_parsing": "应为时长 (ISO 8601)",
    "is_instance_of": "类型不正确",
    "is_subclass_of": "类型不正确",
    "callable_type": "类型不正确",
    "union_tag_invalid": "类型标记 {tag} 无效，应为 {expected_tags} 之一",
    "union_tag_not_found": "缺少类型标记 {discriminator}",
    "url_type": "应为网址",
    "url_parsing": "应为有效网址",
    "url_syntax_violation": "网址格式不正确",
    "url_too_long": "网址长度不能超过 {max_length} 个字符",
    "url_scheme": "网址协议应为 {expected_schemes}",
    "uuid_type": "应为 UUID 字符串",
    "uuid_parsing": "应为有效的 UUID",
    "uuid_version": "应为第 {expected_version} 版 UUID",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_max_digits": "总位数不能超过 {max_digits} 位",
    "decimal_max_places": "小数位数不能超过 {decimal_places} 位",
    "decimal_whole_digits": "整数部分不能超过 {whole_digits} 位",
    "fraction_type": "应为数字",
    "fraction_parsing": "应为数字",
    "complex_type": "应为数字",
    "complex_str_parsing": "应为数字",
}


def _zh_value(key: str, value: Any) -> str:
    text = str(value)
    if key in {"expected", "expected_tags", "expected_schemes"}:
        # pydantic joins choices as "'a', 'b' or 'c'": the values are codes, the words go.
        text = text.replace(" or ", ", ")
    return text


def validation_message(error: Mapping[str, Any], lang: Language) -> str:
    """The message for one pydantic error (`type`, `msg`, `ctx`) in `lang`."""
    if lang == "en":
        return str(error.get("msg", "invalid"))
    template = ZH_TEMPLATES.get(str(error.get("type", "")))
    if template is None:
        return GENERIC_ZH
    ctx = error.get("ctx") or {}
    try:
        return template.format(**{k: _zh_value(k, v) for k, v in ctx.items()})
    except (KeyError, IndexError):
        return GENERIC_ZH
