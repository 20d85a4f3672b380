"""The register's demo (issue 14 §7): an item list with checklists; about 20,000 entities
spread over the city's grids by population, with valid codes whose positions 3–8 are their
district's GB/T 2260 code, types and industries in a county's usual mix, and monthly risk
classes; the market offices' inspectors qualified for the items, a few declared conflicts;
each county's annual plan with its tasks; and draws made through the same service and
algorithm as any unit's (drawing.py → draws.py)."""

import hashlib
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import prefix_range
from core.progress import StageProgress
from core.security import Principal
from core.users.enums import Role
from market_supervision.register import drawing, items, plans
from market_supervision.register.codes import issue_code
from market_supervision.register.entities import month_start

ENTITIES = 20_000
# (type, share)
TYPES = (("individual", 0.64), ("company", 0.27), ("cooperative", 0.03), ("branch", 0.03),
         ("sole_proprietorship", 0.02), ("partnership", 0.01))
# (GB/T 4754 code, the word a name ends in, share)
INDUSTRIES = (("F52", "商店", 0.28), ("H62", "餐饮店", 0.18), ("F51", "商贸行", 0.08),
              ("O80", "服务部", 0.09), ("L72", "商务咨询", 0.07), ("C13", "食品加工厂", 0.04),
              ("C14", "食品厂", 0.03), ("E48", "建筑工程", 0.03), ("I65", "科技", 0.04),
              ("R90", "文化传媒", 0.03), ("K70", "物业", 0.02), ("M74", "检测技术", 0.02),
              ("G54", "物流", 0.03), ("Q84", "诊所", 0.02), ("A01", "种植专业合作社", 0.04))
RISK = (("A", 0.35), ("B", 0.45), ("C", 0.15), ("D", 0.05))
_BRANDS = list("鑫旺兴隆福满佳华盛源泰康宏达金鼎恒信顺发永利德和美嘉新天祥瑞荣昌")
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏海燕波")
_SUFFIX = {"company": "有限公司", "branch": "分公司", "individual": "", "cooperative": "",
           "sole_proprietorship": "（个人独资）", "partnership": "（有限合伙）"}

# The demo item list (a county enters its own): after the SAMR's 随机抽查事项清单.
DEMO_ITEMS = (
    ("SC-JY-001", "食品经营者许可及经营条件检查", "key",
     "《中华人民共和国食品安全法》第三十五条、第三十三条",
     (("持有有效食品经营许可证并公示", "key"),
      ("经营场所环境整洁，与有毒有害场所保持距离", "general"),
      ("从业人员持有效健康证明", "key"), ("不经营过期、变质食品", "key"),
      ("进货查验记录完整", "general"))),
    ("SC-JG-001", "明码标价和价格行为检查", "general", "《中华人民共和国价格法》第十三条、第十四条",
     (("商品和服务明码标价", "general"), ("无价格欺诈行为", "key"))),
    ("SC-JL-001", "计量器具检定情况检查", "general", "《中华人民共和国计量法》第九条",
     (("强制检定计量器具按期检定", "key"), ("计量器具无作弊装置", "key"))),
    ("SC-GS-001", "企业公示信息情况检查", "general", "《企业信息公示暂行条例》第十条、第十四条",
     (("年度报告按时公示", "general"), ("公示信息真实", "key"))),
    ("SC-CP-001", "产品质量检查", "general", "《中华人民共和国产品质量法》第十五条",
     (("产品标识标注规范", "general"), ("无不合格产品销售", "key"))),
    ("SC-TZ-001", "特种设备使用单位检查", "key",
     "《中华人民共和国特种设备安全法》第三十二条、第三十三条",
     (("特种设备使用登记", "key"), ("定期检验合格", "key"), ("作业人员持证", "key"))),
)


def _pick(rng: np.random.Generator, table, n: int) -> np.ndarray:
    choices = [row[0] for row in table]
    shares = np.array([row[-1] for row in table], dtype=float)
    return rng.choice(len(choices), size=n, p=shares / shares.sum())


def _apportion(weights: list[float], total: int) -> list[int]:
    """Largest remainder: integers proportional to the weights, summing to `total`."""
    weights = np.asarray(weights, dtype=float)
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts))[: total - counts.sum()]:
        counts[i] += 1
    return counts.tolist()


def load_demo(session: Session, *, city_code: str, seed: int = 0,
              stage: StageProgress | None = None, entities: int = ENTITIES,
              **_options) -> dict:
    """Flushes; the caller commits. Returns what it made, by kind."""
    rng = np.random.default_rng([seed, 14])
    bounds = prefix_range(city_code[:4])
    _ensure_items(session)
    made = {"entities": _load_entities(session, bounds, rng, entities, stage)}
    made["risk_rows"] = _load_risk(session, bounds, rng)
    made["qualified"] = _qualify_inspectors(session, bounds)
    made["conflicts"] = _declare_conflicts(session, bounds, rng)
    admin = _system_principal(session, city_code)
    made["tasks"] = _plans_and_tasks(session, bounds, admin)
    made["draws"] = _draws(session, bounds, admin, stage, seed=seed)
    return made


def _ensure_items(session: Session) -> None:
    existing = set(session.scalars(text("SELECT code FROM market_item")))
    for code, name, level, basis, checklist in DEMO_ITEMS:
        if code not in existing:
            items.create_item(session, code=code, name=name, department_code="market",
                              level=level, legal_basis=basis,
                              checklist=[{"text": t, "weight": w} for t, w in checklist])


def _load_entities(session: Session, bounds: dict, rng: np.random.Generator, total: int,
                   stage: StageProgress | None) -> int:
    grids = session.execute(text(
        "SELECT code, greatest(coalesce(population, 0), 1) FROM area WHERE level = 'grid' "
        "AND code >= :low AND code < :high ORDER BY code"), bounds).all()
    if not grids:
        return 0
    counts = _apportion([p for _, p in grids], total)
    wanted = [{"code": code, "n": n} for (code, _), n in zip(grids, counts, strict=True) if n]
    import json

    points = session.execute(text("""
        SELECT w.code, ST_X(p.geom), ST_Y(p.geom)
        FROM jsonb_to_recordset(CAST(:wanted AS jsonb)) AS w(code text, n int)
        JOIN area a ON a.code = w.code
        CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(a.geom, w.n, :seed)) AS p
        ORDER BY w.code"""), {"wanted": json.dumps(wanted), "seed": int(rng.integers(1, 2**30))}
    ).all()
    n = len(points)
    kinds = _pick(rng, TYPES, n)
    trades = _pick(rng, INDUSTRIES, n)
    brands = rng.integers(0, len(_BRANDS), size=(n, 2))
    people = rng.integers(0, len(_SURNAMES), size=n), rng.integers(0, len(_GIVEN), size=(n, 2))
    names = {row[0]: row[1] for row in session.execute(text(
        "SELECT code, name FROM area WHERE level IN ('county', 'township', 'village') "
        "AND code >= :low AND code < :high"), bounds)}
    base = int(rng.integers(0, 10**7))
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            "COPY market_entity (uscc, name, type, legal_representative, address, location, "
            "area_code, industry, licences, source) FROM STDIN") as copy:
        for i, (grid, lon, lat) in enumerate(points):
            kind = TYPES[kinds[i]][0]
            industry, word, _ = INDUSTRIES[trades[i]]
            if kind == "cooperative":
                industry, word = "A01", "种植专业合作社"
            brand = _BRANDS[brands[i][0]] + _BRANDS[brands[i][1]]
            place = names.get(grid[:9], "")[:4]
            name = f"{names.get(grid[:6], '')[:3]}{place}{brand}{word}{_SUFFIX[kind]}"
            person = _SURNAMES[people[0][i]] + _GIVEN[people[1][i][0]] + _GIVEN[people[1][i][1]]
            address = f"{names.get(grid[:9], '')}{names.get(grid[:12], '')}{1 + i % 300}号"
            licences = '["食品经营许可证"]' if industry in ("H62", "C13", "C14") else "[]"
            copy.write_row((issue_code(kind, grid[:6], base + i), name[:200], kind, person,
                            address[:300], f"SRID=4326;POINT({lon} {lat})", grid, industry,
                            licences, "demo"))
            if stage is not None and (i + 1) % 5000 == 0:
                stage("市场主体", i + 1, n)
    if stage is not None:
        stage("市场主体", n, n)
    return n


def _load_risk(session: Session, bounds: dict, rng: np.random.Generator) -> int:
    """This month's and the two before: a class each (信用风险分类, monthly); the newest
    is the entity's current one. Drawn in SQL from a seeded hash, so reloads repeat."""
    today = datetime.now(UTC).date()
    months = [month_start(today)]
    for _ in range(2):
        months.append(month_start(months[-1] - timedelta(days=1)))
    cuts = np.cumsum([share for _, share in RISK])
    salt = int(rng.integers(0, 2**30))
    rows = session.execute(text("""
        INSERT INTO market_entity_risk (entity_id, month, risk_class, basis)
        SELECT e.id, m.month,
               CASE WHEN r < :a THEN 'A' WHEN r < :b THEN 'B' WHEN r < :c THEN 'C' ELSE 'D' END,
               '企业信用风险分类管理系统（演示）'
        FROM market_entity e CROSS JOIN unnest(CAST(:months AS date[])) AS m(month)
        CROSS JOIN LATERAL (SELECT (abs(hashtext(e.uscc || :salt || m.month::text)) % 10000)
                            / 10000.0 AS r) h
        WHERE e.area_code >= :low AND e.area_code < :high AND e.source = 'demo'"""),
        {**bounds, "months": months, "salt": str(salt), "a": float(cuts[0]),
         "b": float(cuts[1]), "c": float(cuts[2])}).rowcount
    session.execute(text("""
        UPDATE market_entity e SET risk_class = r.risk_class FROM market_entity_risk r
        WHERE r.entity_id = e.id AND r.month = :month
          AND e.area_code >= :low AND e.area_code < :high"""), {**bounds, "month": months[0]})
    return rows


def _qualify_inspectors(session: Session, bounds: dict) -> int:
    """Every 检查员 of the city's market offices may inspect every demo item."""
    return session.execute(text("""
        INSERT INTO market_inspector_item (membership_id, item_id)
        SELECT m.id, i.id FROM membership m JOIN unit u ON u.id = m.unit_id
        CROSS JOIN market_item i
        WHERE u.kind = 'market_office' AND m.position = 'inspector' AND m.is_active
          AND u.seat_code >= :low AND u.seat_code < :high AND i.code = ANY(:codes)
        ON CONFLICT DO NOTHING"""), {**bounds, "codes": [c for c, *_ in DEMO_ITEMS]}).rowcount


def _declare_conflicts(session: Session, bounds: dict, rng: np.random.Generator) -> int:
    """In each township, its first inspector declares a conflict with two entities there
    (近亲属、曾任职): the draws must never pair them. Not in the offices where a demo
    检查员 sits: their own task (`_desk_tasks`) draws from their two inspectors alone, and
    a conflict would leave one (a draw the law refuses: ≥ 2 inspectors a target)."""
    return session.execute(text("""
        INSERT INTO market_inspector_conflict (user_id, entity_id, reason)
        SELECT DISTINCT ON (first.user_id, e.id) first.user_id, e.id,
               (ARRAY['近亲属在该单位任职', '曾在该单位任职'])[1 + (e.id % 2)::int]
        FROM unit u
        CROSS JOIN LATERAL (SELECT m.user_id FROM membership m WHERE m.unit_id = u.id
                            AND m.position = 'inspector' ORDER BY m.id LIMIT 1) first
        CROSS JOIN LATERAL (SELECT id FROM market_entity WHERE area_code LIKE u.seat_code || '%'
                            ORDER BY uscc LIMIT 2) e
        WHERE u.kind = 'market_office' AND u.seat_code >= :low AND u.seat_code < :high
          AND NOT EXISTS (SELECT 1 FROM membership d JOIN app_user a ON a.id = d.user_id
                          WHERE d.unit_id = u.id AND d.is_active
                            AND a.username ~ :demo_inspector)
        ON CONFLICT DO NOTHING"""), {**bounds, "demo_inspector": DEMO_INSPECTOR}).rowcount


def _system_principal(session: Session, city_code: str) -> Principal:
    """The demo acts as the city's admin account (the draws record who made them)."""
    row = session.execute(text(
        "SELECT id, username, scope_code FROM app_user WHERE role = 'admin' "
        "AND scope_code = :city ORDER BY (username LIKE 'demo%') DESC, id LIMIT 1"),
        {"city": city_code}).one()
    return Principal(row[0], row[1], Role.admin, row[2])


DESK_TASK_SUFFIX = "05"
DEMO_INSPECTOR = "^demo[0-9]*_market_inspector$"  # core/users/demo.py's 检查员 accounts

# (code suffix, name, mode, scheme, filters, items, quarter)
TASKS = (
    ("01", "市场主体年度不定向抽查", "undirected", "general", {},
     ("SC-GS-001", "SC-JG-001"), 1),
    ("02", "餐饮服务食品安全定向抽查", "directed", "key", {"industries": ["H62"]},
     ("SC-JY-001", "SC-JG-001"), 2),
    ("03", "食品生产加工质量与计量联合抽查", "directed", "general",
     {"industries": ["C13", "C14"]}, ("SC-CP-001", "SC-JL-001", "SC-TZ-001"), 3),
    ("04", "商品零售价格和计量定向抽查", "directed", "general", {"industries": ["F52"]},
     ("SC-JG-001", "SC-JL-001"), 4),
)


def _plans_and_tasks(session: Session, bounds: dict, admin: Principal) -> int:
    """Each county's 年度抽查工作计划 by its 市场监督管理局, and four tasks: organised by the
    局, implemented by all its 市场监管所 (进一次门、查多项事: several items a visit)."""
    year = datetime.now(UTC).year
    counties = session.execute(text("""
        SELECT a.code, a.name, d.id FROM area a
        JOIN unit d ON d.seat_code = a.code AND d.kind = 'department'
             AND d.department_code = 'market' AND d.is_active
        WHERE a.level = 'county' AND a.code >= :low AND a.code < :high ORDER BY a.code"""),
        bounds).all()
    made = 0
    for code, name, department in counties:
        offices = list(session.scalars(text(
            "SELECT id FROM unit WHERE kind = 'market_office' AND is_active "
            "AND seat_code LIKE :c || '%' ORDER BY seat_code"), {"c": code}))
        if not offices:
            continue
        plan = plans.create_plan(session, principal=admin, year=year,
                                 name=f"{name}{year}年度双随机抽查工作计划", unit_id=department,
                                 area_code=code)
        for suffix, task_name, mode, scheme, filters, item_codes, quarter in TASKS:
            starts = date(year, 3 * quarter - 2, 1)
            ends = date(year, 3 * quarter, 28)
            plans.create_task(session, principal=admin, plan_id=plan.id,
                              code=f"{code}-{year}-{suffix}", name=task_name, mode=mode,
                              area_code=code, ratio_scheme=scheme, starts_on=starts,
                              ends_on=ends, organising_unit_id=department,
                              implementing_unit_ids=offices, item_codes=list(item_codes),
                              filters=filters)
            made += 1
        made += _desk_tasks(session, admin, plan.id, code, year)
    return made


def _desk_tasks(session: Session, admin: Principal, plan_id: int, county: str,
                year: int) -> int:
    """A 所's own 日常监督抽查 of its township, for each office where a demo 检查员 account
    sits (core/users/demo.py): only that office's inspectors can be paired with its
    targets, so the demo inspector has inspections of his own at login whatever a
    county-wide draw happens to pair."""
    offices = session.execute(text("""
        SELECT DISTINCT u.id, u.seat_code FROM unit u
        JOIN membership m ON m.unit_id = u.id AND m.is_active AND m.position = 'inspector'
        JOIN app_user a ON a.id = m.user_id AND a.username ~ :demo_inspector
        WHERE u.kind = 'market_office' AND u.is_active AND u.seat_code LIKE :c || '%'
        ORDER BY u.seat_code"""), {"c": county, "demo_inspector": DEMO_INSPECTOR}).all()
    quarter = (datetime.now(UTC).month + 2) // 3
    for office, township in offices:
        plans.create_task(session, principal=admin, plan_id=plan_id,
                          code=f"{township}-{year}-{DESK_TASK_SUFFIX}", name="辖区日常监督抽查",
                          mode="undirected", area_code=township, ratio_scheme="general",
                          starts_on=date(year, 3 * quarter - 2, 1),
                          ends_on=date(year, 3 * quarter, 28), organising_unit_id=office,
                          implementing_unit_ids=[office], item_codes=["SC-GS-001"])
    return len(offices)


def _draws(session: Session, bounds: dict, admin: Principal,
           stage: StageProgress | None, *, seed: int) -> int:
    """The first three tasks of each county drawn (the first two at once, the third in two
    steps with a public random source); the fourth stays planned. Their secret seeds come
    from the demo's seed: the same demo draws the same targets on every load."""
    # The offices' own tasks first: their draws' inspections are the first the inspections
    # demo opens (it opens at most a few hundred).
    tasks = session.execute(text(
        "SELECT id, code FROM market_task WHERE area_code >= :low AND area_code < :high "
        "AND state = 'planned' ORDER BY length(area_code) DESC, code"), bounds).all()
    drawable = [(task_id, code) for task_id, code in tasks if not code.endswith("-04")]
    for done, (task_id, code) in enumerate(drawable, start=1):
        secret = hashlib.sha256(f"gridgov-demo-{seed}-{code}".encode()).hexdigest()
        if code.endswith("-03"):
            committed = drawing.commit(session, principal=admin, task_id=task_id,
                                       entropy_source="中国福利彩票双色球开奖号码（演示）",
                                       secret=secret)
            drawing.perform(session, principal=admin, draw_id=committed.id,
                            public_entropy="05 11 16 23 28 31 + 07")
        else:
            drawing.commit_and_draw(session, principal=admin, task_id=task_id, secret=secret)
        if stage is not None:
            stage("双随机抽取", done, len(drawable))
    return len(drawable)


def remove_demo(session: Session, *, city_code: str, **_options) -> None:
    """The city's register, plans, tasks and draws (the inspections part removed its rows
    first: parts are removed in reverse order)."""
    bounds = prefix_range(city_code[:4])
    session.execute(text("DELETE FROM market_draw WHERE area_code >= :low AND area_code < :high"),
                    bounds)
    session.execute(text("DELETE FROM market_plan WHERE area_code >= :low AND area_code < :high"),
                    bounds)
    session.execute(text("""
        DELETE FROM market_inspector_item q USING membership m, unit u
        WHERE q.membership_id = m.id AND m.unit_id = u.id
          AND u.seat_code >= :low AND u.seat_code < :high"""), bounds)
    session.execute(text(
        "DELETE FROM market_entity WHERE area_code >= :low AND area_code < :high"), bounds)
