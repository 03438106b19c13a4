"""The national code lists of a member's record: ethnicity (GB/T 3304, the 56 民族),
education (GB/T 4658, 学历代码), degree (GB/T 6864, 学位), post (工作岗位), new social
stratum (新社会阶层) and hardship (困难情况), each as code -> Chinese label, in this one
module.

A value is given as the code (`01`, `21`) or the label (`汉族`, `大学本科毕业`); the common
short forms of party statistics (`大学本科`, `大专`, `高中`, ...) are accepted as aliases of
their category. A code is stored as its label; a label or alias as given (so existing
records and reports keep their wording). `resolve_*` answers the code of a stored value.
"""

from __future__ import annotations

ETHNICITIES: dict[str, str] = {
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族",
    "06": "苗族", "07": "彝族", "08": "壮族", "09": "布依族", "10": "朝鲜族",
    "11": "满族", "12": "侗族", "13": "瑶族", "14": "白族", "15": "土家族",
    "16": "哈尼族", "17": "哈萨克族", "18": "傣族", "19": "黎族", "20": "傈僳族",
    "21": "佤族", "22": "畲族", "23": "高山族", "24": "拉祜族", "25": "水族",
    "26": "东乡族", "27": "纳西族", "28": "景颇族", "29": "柯尔克孜族", "30": "土族",
    "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族", "35": "撒拉族",
    "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族",
    "41": "塔吉克族", "42": "怒族", "43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族",
    "46": "德昂族", "47": "保安族", "48": "裕固族", "49": "京族", "50": "塔塔尔族",
    "51": "独龙族", "52": "鄂伦春族", "53": "赫哲族", "54": "门巴族", "55": "珞巴族",
    "56": "基诺族",
}  # fmt: skip

EDUCATIONS: dict[str, str] = {
    "10": "研究生教育",
    "11": "博士研究生毕业", "12": "博士研究生结业", "13": "博士研究生肄业",
    "14": "硕士研究生毕业", "15": "硕士研究生结业", "16": "硕士研究生肄业",
    "17": "研究生班毕业", "18": "研究生班结业", "19": "研究生班肄业",
    "20": "大学本科教育",
    "21": "大学本科毕业", "22": "大学本科结业", "23": "大学本科肄业", "28": "大学普通班毕业",
    "30": "大学专科教育",
    "31": "大学专科毕业", "32": "大学专科结业", "33": "大学专科肄业",
    "40": "中等职业教育",
    "41": "中等专科毕业", "42": "中等专科结业", "43": "中等专科肄业",
    "44": "职业高中毕业", "45": "职业高中结业", "46": "职业高中肄业",
    "47": "技工学校毕业", "48": "技工学校结业", "49": "技工学校肄业",
    "60": "普通高级中学教育",
    "61": "普通高中毕业", "62": "普通高中结业", "63": "普通高中肄业",
    "70": "初级中学教育",
    "71": "初中毕业", "73": "初中肄业",
    "80": "小学教育",
    "81": "小学毕业", "83": "小学肄业",
    "90": "其他",
}  # fmt: skip

# Short forms used in party statistics, by the GB/T 4658 category they name.
EDUCATION_ALIASES: dict[str, str] = {
    "研究生": "10",
    "博士": "11",
    "硕士": "14",
    "博士研究生": "11",
    "硕士研究生": "14",
    "大学本科": "20",
    "本科": "20",
    "大学专科": "30",
    "大专": "30",
    "中专": "40",
    "中等专科": "40",
    "高中": "60",
    "初中": "70",
    "小学": "80",
}

_ETHNICITY_BY_LABEL = {label: code for code, label in ETHNICITIES.items()}
_EDUCATION_BY_LABEL = {label: code for code, label in EDUCATIONS.items()} | EDUCATION_ALIASES


# Every spelling the resolvers read, to its code: the one table of what resolves (the
# statistics checks filter on its keys in SQL). A one-digit code (a spreadsheet that
# dropped the leading zero: `1`) is read as `01`; a code wins over a label.
ETHNICITY_SPELLINGS: dict[str, str] = (
    _ETHNICITY_BY_LABEL
    | {code[1]: code for code in ETHNICITIES if code[0] == "0"}
    | {code: code for code in ETHNICITIES}
)
EDUCATION_SPELLINGS: dict[str, str] = _EDUCATION_BY_LABEL | {code: code for code in EDUCATIONS}


def resolve_ethnicity(value: str) -> str | None:
    """The GB/T 3304 code of a code or label (`ETHNICITY_SPELLINGS`); None when it is
    neither."""
    return ETHNICITY_SPELLINGS.get(value)


def resolve_education(value: str) -> str | None:
    """The GB/T 4658 code of a code, label or short form; None when it is none of them."""
    return EDUCATION_SPELLINGS.get(value)


def stored_ethnicity(value: str) -> str | None:
    """The value to store (the label), or None when the value is not in the list."""
    code = resolve_ethnicity(value)
    return None if code is None else ETHNICITIES[code]


def stored_education(value: str) -> str | None:
    """The value to store: a code becomes its label, a label or short form stays."""
    if value in EDUCATIONS:
        return EDUCATIONS[value]
    return value if value in _EDUCATION_BY_LABEL else None


# The national collection form's further coded fields. Each is stored as its label, like
# ethnicity: a code (`4`) becomes its label (`学士`), a label stays.

# 学位 (GB/T 6864, first level).
DEGREES: dict[str, str] = {"1": "名誉博士", "2": "博士", "3": "硕士", "4": "学士"}

# 工作岗位: the post categories of the party statistics tables.
POSTS: dict[str, str] = {
    "01": "党政机关公务员",
    "02": "参照公务员法管理人员",
    "03": "事业单位管理人员",
    "04": "事业单位专业技术人员",
    "05": "企业管理人员",
    "06": "企业专业技术人员",
    "07": "工勤技能人员",
    "08": "农牧渔民",
    "09": "学生",
    "10": "解放军、武警",
    "11": "离退休人员",
    "12": "其他职业人员",
}

# 新社会阶层 (the four groups named by the United Front Work Department).
NEW_SOCIAL_STRATA: dict[str, str] = {
    "1": "私营企业和外资企业管理技术人员",
    "2": "社会组织从业人员",
    "3": "自由职业人员",
    "4": "新媒体从业人员",
}

# 困难情况.
HARDSHIPS: dict[str, str] = {
    "1": "生活困难",
    "2": "患重大疾病",
    "3": "残疾",
    "9": "其他困难",
}


def stored_coded(values: dict[str, str], value: str) -> str | None:
    """The label to store for a code or label of `values`; None when it is neither."""
    if value in values:
        return values[value]
    return value if value in values.values() else None


def stored_degree(value: str) -> str | None:
    return stored_coded(DEGREES, value)


def stored_post(value: str) -> str | None:
    return stored_coded(POSTS, value)


def stored_new_social_stratum(value: str) -> str | None:
    return stored_coded(NEW_SOCIAL_STRATA, value)


def stored_hardship(value: str) -> str | None:
    return stored_coded(HARDSHIPS, value)


# The organisation's form (党组织所在单位情况): the unit's legal type, its economic type
# (GB/T 12402, first level) and its size (企业规模), stored as labels like the above.
UNIT_TYPES: dict[str, str] = {
    "1": "机关法人",
    "2": "事业单位法人",
    "3": "企业法人",
    "4": "社会团体法人",
    "5": "其他组织机构",
    "9": "非法人单位",
}

ECONOMIC_TYPES: dict[str, str] = {
    "100": "内资",
    "110": "国有全资",
    "120": "集体全资",
    "130": "股份合作",
    "140": "联营",
    "150": "有限责任（公司）",
    "160": "股份有限（公司）",
    "170": "私有",
    "190": "其他内资",
    "200": "港澳台投资",
    "300": "国外投资",
    "900": "其他",
}

UNIT_SIZES: dict[str, str] = {"1": "大型", "2": "中型", "3": "小型", "4": "微型"}

# 行政区划代码 (GB/T 2260): six digits whose first two name a province-level division.
PROVINCE_PREFIXES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
     "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
     "63", "64", "65", "71", "81", "82"}
)  # fmt: skip


def is_division_code(value: str) -> bool:
    """Six digits starting with a province-level prefix (GB/T 2260)."""
    return len(value) == 6 and value.isdigit() and value[:2] in PROVINCE_PREFIXES


# English labels of the code lists above, for the statistics tables' rows.
DEGREES_EN: dict[str, str] = {
    "1": "Honorary doctorate",
    "2": "Doctorate",
    "3": "Master's",
    "4": "Bachelor's",
}

POSTS_EN: dict[str, str] = {
    "01": "Civil servant of a Party or government organ",
    "02": "Staff managed as civil servants",
    "03": "Public institution administrator",
    "04": "Public institution professional",
    "05": "Enterprise manager",
    "06": "Enterprise professional",
    "07": "Skilled or service worker",
    "08": "Farmer, herder or fisher",
    "09": "Student",
    "10": "PLA or armed police",
    "11": "Retired",
    "12": "Other occupation",
}

NEW_SOCIAL_STRATA_EN: dict[str, str] = {
    "1": "Private or foreign enterprise manager or technician",
    "2": "Social organisation staff",
    "3": "Freelancer",
    "4": "New media worker",
}

HARDSHIPS_EN: dict[str, str] = {
    "1": "Financial hardship",
    "2": "Serious illness",
    "3": "Disability",
    "9": "Other hardship",
}

UNIT_TYPES_EN: dict[str, str] = {
    "1": "Government organ legal person",
    "2": "Public institution legal person",
    "3": "Enterprise legal person",
    "4": "Social group legal person",
    "5": "Other organisation",
    "9": "Unincorporated unit",
}

ECONOMIC_TYPES_EN: dict[str, str] = {
    "100": "Domestic",
    "110": "Wholly state-owned",
    "120": "Wholly collective-owned",
    "130": "Joint-stock cooperative",
    "140": "Joint operation",
    "150": "Limited liability company",
    "160": "Company limited by shares",
    "170": "Private",
    "190": "Other domestic",
    "200": "Hong Kong, Macao or Taiwan investment",
    "300": "Foreign investment",
    "900": "Other",
}

UNIT_SIZES_EN: dict[str, str] = {"1": "Large", "2": "Medium", "3": "Small", "4": "Micro"}


def coded_row(values: dict[str, str], english: dict[str, str], stored: str) -> tuple[str, str, str]:
    """(code, zh, en) of a stored label of `values` (a label outside the list, kept
    from before the list, is its own code)."""
    code = next((c for c, label in values.items() if label == stored), None)
    if code is None:
        return stored, stored, stored
    return code, stored, english[code]
