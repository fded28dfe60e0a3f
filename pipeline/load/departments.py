"""Government departments: each standard name with the short and older forms reports print for it.
Declared once, here; `identity` reads it. A form maps to one standard name only."""

from __future__ import annotations

# standard name -> other names of the same department (short forms, and names before a reorganisation
# when the body carried on under the new one)
DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "发展和改革委员会": ("发改委", "发展改革委", "发展计划委员会"),
    "发展和改革局": ("发改局", "发展改革局"),
    "人力资源和社会保障局": ("人社局", "人力社保局", "人力资源社会保障局"),
    "人力资源和社会保障厅": ("人社厅", "人力资源社会保障厅"),
    "住房和城乡建设局": ("住建局", "住房城乡建设局", "住房和城乡建设管理局"),
    "住房和城乡建设厅": ("住建厅", "住房城乡建设厅"),
    "自然资源和规划局": ("自然资源规划局", "资规局"),
    "自然资源局": ("国土资源局", "国土局"),  # 2018 reorganisation
    "生态环境局": ("环境保护局", "环保局"),  # 2018 reorganisation
    "市场监督管理局": ("市场监管局", "工商行政管理局", "工商局"),  # 2018 reorganisation
    "卫生健康委员会": ("卫健委", "卫生健康委", "卫生和计划生育委员会", "卫计委"),  # 2018 reorganisation
    "卫生健康局": ("卫健局", "卫生和计划生育局", "卫计局"),
    "农业农村局": ("农业局", "农业农村委员会", "农委"),  # 2018 reorganisation
    "应急管理局": ("应急局", "安全生产监督管理局", "安监局"),  # 2018 reorganisation
    "医疗保障局": ("医保局",),
    "退役军人事务局": ("退役军人局",),
    "工业和信息化局": ("工信局", "经济和信息化局", "经信局"),
    "科学技术局": ("科技局",),
    "科学技术委员会": ("科委",),
    "教育局": ("教委",),
    "教育和体育局": ("教体局", "教育体育局"),
    "交通运输局": ("交通局", "交运局"),
    "文化广电和旅游局": ("文广旅局", "文化广电旅游局", "文广新旅局"),
    "文化和旅游局": ("文旅局", "文化旅游局"),
    "城市管理局": ("城管局", "城市管理行政执法局", "城市管理综合行政执法局"),
    "行政审批局": ("审批局",),
    "政务服务管理办公室": ("政务办", "政务服务办公室", "政务服务管理局"),
    "市场监督管理委员会": ("市场监管委",),
    "公安局": (),
    "财政局": (),
    "民政局": (),
    "司法局": (),
    "审计局": (),
    "统计局": (),
    "商务局": (),
    "水利局": (),
    "水务局": (),
    "林业局": (),
    "税务局": (),
    "地方税务局": ("地税局",),
}

_FORMS = {form: standard for standard, forms in DEPARTMENTS.items() for form in (standard, *forms)}


def standard_department(name: str) -> str | None:
    """The standard name of the department `name` is (without its region), or None if it is none we know."""
    return _FORMS.get(name)
