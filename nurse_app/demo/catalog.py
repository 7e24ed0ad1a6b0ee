"""The demo hospital: departments, wards, diagnoses that fit each ward, and follow-up plans.

Only used by ``nurse-station demo-data``; real hospitals get their wards and
plans from the central service's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from nurse_app.domain.model import (
    Diagnosis,
    InclusionRule,
    OffsetUnit,
    Plan,
    PlanStep,
    PublicationStatus,
    RetryPolicy,
    Ward,
)


@dataclass(frozen=True, slots=True)
class DemoWard:
    ward: Ward
    plan_code: str
    diagnoses: tuple[Diagnosis, ...]
    procedures: tuple[str, ...]
    age_range: tuple[int, int]
    female_share: float
    stay_days: tuple[int, int]
    # How promptly this ward's nurses make the first call: share of first calls inside 24 h.
    promptness: float


def _dx(code: str, text: str) -> Diagnosis:
    return Diagnosis(icd10=code, description=text)


DEMO_WARDS: tuple[DemoWard, ...] = (
    DemoWard(
        Ward("CARD1", "心内科一病区", "心内科"),
        "HF-DISCHARGE",
        (
            _dx("I50.9", "心力衰竭"),
            _dx("I21.9", "急性心肌梗死"),
            _dx("I10", "原发性高血压"),
            _dx("I48.9", "心房颤动"),
            _dx("I20.0", "不稳定型心绞痛"),
        ),
        ("经皮冠状动脉介入治疗", "冠状动脉造影", "永久起搏器植入"),
        (45, 90),
        0.42,
        (4, 12),
        0.93,
    ),
    DemoWard(
        Ward("CARD2", "心内科二病区", "心内科"),
        "HF-DISCHARGE",
        (
            _dx("I25.1", "动脉粥样硬化性心脏病"),
            _dx("I50.9", "心力衰竭"),
            _dx("I11.9", "高血压性心脏病"),
            _dx("I48.9", "心房颤动"),
        ),
        ("经皮冠状动脉介入治疗", "射频消融术"),
        (45, 90),
        0.45,
        (3, 10),
        0.85,
    ),
    DemoWard(
        Ward("NEURO1", "神经内科病区", "神经内科"),
        "STROKE-DISCHARGE",
        (
            _dx("I63.9", "脑梗死"),
            _dx("I61.9", "脑出血"),
            _dx("G40.9", "癫痫"),
            _dx("G20", "帕金森病"),
            _dx("G45.9", "短暂性脑缺血发作"),
        ),
        ("静脉溶栓", "脑血管造影"),
        (40, 88),
        0.44,
        (6, 16),
        0.88,
    ),
    DemoWard(
        Ward("ORTH1", "骨科病区", "骨科"),
        "POSTOP-DISCHARGE",
        (
            _dx("S72.0", "股骨颈骨折"),
            _dx("M17.1", "膝关节骨关节炎"),
            _dx("M51.2", "腰椎间盘突出"),
            _dx("S82.2", "胫骨干骨折"),
        ),
        ("人工全髋关节置换术", "人工全膝关节置换术", "腰椎间盘切除术", "骨折切开复位内固定术"),
        (25, 85),
        0.55,
        (5, 14),
        0.9,
    ),
    DemoWard(
        Ward("GSUR1", "普外科病区", "普外科"),
        "POSTOP-DISCHARGE",
        (
            _dx("K80.2", "胆囊结石"),
            _dx("K35.8", "急性阑尾炎"),
            _dx("K40.9", "腹股沟疝"),
            _dx("C18.9", "结肠恶性肿瘤"),
        ),
        ("腹腔镜胆囊切除术", "腹腔镜阑尾切除术", "疝修补术", "腹腔镜结肠癌根治术"),
        (18, 85),
        0.48,
        (2, 10),
        0.82,
    ),
    DemoWard(
        Ward("ONC1", "肿瘤科病区", "肿瘤科"),
        "GENERAL-DISCHARGE",
        (
            _dx("C34.9", "肺恶性肿瘤"),
            _dx("C16.9", "胃恶性肿瘤"),
            _dx("C50.9", "乳腺恶性肿瘤"),
            _dx("C22.0", "肝细胞癌"),
        ),
        ("化学治疗", "放射治疗", "靶向治疗"),
        (35, 85),
        0.47,
        (3, 9),
        0.86,
    ),
    DemoWard(
        Ward("ENDO1", "内分泌科病区", "内分泌科"),
        "DM-DISCHARGE",
        (
            _dx("E11.9", "2型糖尿病"),
            _dx("E11.6", "2型糖尿病伴并发症"),
            _dx("E05.9", "甲状腺功能亢进症"),
            _dx("E10.9", "1型糖尿病"),
        ),
        ("胰岛素泵治疗",),
        (20, 85),
        0.5,
        (4, 10),
        0.91,
    ),
    DemoWard(
        Ward("RESP1", "呼吸内科病区", "呼吸内科"),
        "GENERAL-DISCHARGE",
        (
            _dx("J44.1", "慢性阻塞性肺病伴急性加重"),
            _dx("J18.9", "肺炎"),
            _dx("J45.9", "支气管哮喘"),
            _dx("J84.1", "间质性肺病"),
        ),
        ("支气管镜检查", "无创通气"),
        (30, 92),
        0.38,
        (5, 13),
        0.8,
    ),
    DemoWard(
        Ward("OBGY1", "妇产科病区", "妇产科"),
        "GENERAL-DISCHARGE",
        (
            _dx("O80", "单胎顺产"),
            _dx("O82", "剖宫产术分娩"),
            _dx("D25.9", "子宫平滑肌瘤"),
            _dx("N83.2", "卵巢囊肿"),
        ),
        ("剖宫产术", "腹腔镜子宫肌瘤剔除术", "腹腔镜卵巢囊肿剥除术"),
        (20, 55),
        1.0,
        (2, 6),
        0.95,
    ),
)


def _step(no: int, name: str, offset: int, unit: OffsetUnit, window_hours: float, *scales: str) -> PlanStep:
    return PlanStep(no, name, offset, unit, window_hours, tuple(scales), script_code=f"SCRIPT-STEP{no}")


_RETRY = RetryPolicy(max_attempts=3, interval_hours=4)

DEMO_PLANS: tuple[Plan, ...] = (
    Plan(
        "HF-DISCHARGE",
        1,
        "心血管疾病出院随访",
        PublicationStatus.PUBLISHED,
        (
            _step(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24, "general_followup", "satisfaction"),
            _step(2, "出院7天随访", 7, OffsetUnit.DAYS, 72, "heart_failure"),
            _step(3, "出院30天随访", 30, OffsetUnit.DAYS, 168, "heart_failure"),
        ),
        departments=("心内科",),
        inclusion_rules=(InclusionRule("icd10_prefix", "I", 1.0),),
        retry=_RETRY,
    ),
    Plan(
        "STROKE-DISCHARGE",
        1,
        "脑卒中出院随访",
        PublicationStatus.PUBLISHED,
        (
            _step(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24, "general_followup", "satisfaction"),
            _step(2, "出院14天随访", 14, OffsetUnit.DAYS, 96, "stroke", "barthel"),
            _step(3, "出院3个月随访", 3, OffsetUnit.MONTHS, 336, "stroke", "barthel"),
        ),
        departments=("神经内科",),
        inclusion_rules=(InclusionRule("icd10_prefix", "I6", 1.0), InclusionRule("icd10_prefix", "G", 0.6)),
        retry=_RETRY,
    ),
    Plan(
        "POSTOP-DISCHARGE",
        1,
        "术后出院随访",
        PublicationStatus.PUBLISHED,
        (
            _step(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24, "postop_recovery", "satisfaction"),
            _step(2, "出院7天随访", 7, OffsetUnit.DAYS, 72, "postop_recovery", "nrs_pain"),
            _step(3, "出院1个月随访", 1, OffsetUnit.MONTHS, 168, "postop_recovery"),
        ),
        departments=("骨科", "普外科"),
        inclusion_rules=(InclusionRule("procedure", "*", 1.0),),
        retry=_RETRY,
    ),
    Plan(
        "DM-DISCHARGE",
        1,
        "糖尿病出院随访",
        PublicationStatus.PUBLISHED,
        (
            _step(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24, "general_followup", "satisfaction"),
            _step(2, "出院2周随访", 2, OffsetUnit.WEEKS, 96, "diabetes"),
            _step(3, "出院3个月随访", 3, OffsetUnit.MONTHS, 336, "diabetes"),
        ),
        departments=("内分泌科",),
        inclusion_rules=(InclusionRule("icd10_prefix", "E1", 1.0),),
        retry=_RETRY,
    ),
    Plan(
        "GENERAL-DISCHARGE",
        1,
        "出院通用随访",
        PublicationStatus.PUBLISHED,
        (
            _step(1, "出院24小时随访", 0, OffsetUnit.HOURS, 24, "general_followup", "satisfaction"),
            _step(2, "出院7天随访", 7, OffsetUnit.DAYS, 72, "general_followup"),
        ),
        inclusion_rules=(InclusionRule("ward", "*", 1.0),),
        retry=_RETRY,
    ),
)

PLANS_BY_CODE = {plan.code: plan for plan in DEMO_PLANS}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志成文斌海峰德胜永福建华"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英燕玲桂兰萍红琴云莲洁梅琳雪婷倩颖慧佳怡欣雯晶丹凤"
