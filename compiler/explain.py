"""`polc explain CODE`: what each diagnostic code means, with a bad and a fixed example.

Every code a check can emit has an entry here; tests/test_explain.py keeps the two in step.
"""

from __future__ import annotations

# code -> (meaning zh, meaning en, bad example, fixed example)
EXPLANATIONS: dict[str, tuple[str, str, str, str]] = {
    "E000": ("无法读取文件。", "A file could not be read.", "", ""),
    "E001": ("语法错误：此处出现了语言不允许的词或字符。", "Syntax error: a word or character the language does not allow here.",
             "条款 第七条\n  给予 按 年营业收入 超过 分档\n    30亿元 = 30万元",
             "条款 第七条\n  给予 按 年营业收入 超过 分档\n    30亿元 → 30万元"),
    "E002": ("关键字与名称连写：中文没有空格，关键字和名称之间必须用空格或标点隔开。",
             "A keyword written straight against a name: separate keywords and names with a space.",
             "  当企业类别 属于 服务业", "  当 企业类别 属于 服务业"),
    "E003": ("日期不存在。", "The date does not exist.", "  施行日期 2020年2月30日", "  施行日期 2020年3月1日"),
    "E010": ("同一名称声明了两次。", "A name is declared twice.", "事实 投资额: 金额\n事实 投资额: 金额", "事实 投资额: 金额"),
    "E011": ("使用了未声明的名称。", "A name is used but never declared.", "  当 营业收入 超过 1亿元",
             "事实 营业收入: 金额\n...\n  当 营业收入 超过 1亿元"),
    "E014": ("定义引用了自身。", "A definition refers to itself.", "定义 甲 = 甲 + 1万元", "定义 甲 = 乙 + 1万元"),
    "E015": ("条款引用了未声明的事项；事项是一等公民，须先用「定义事项」声明（可在共用词汇文件中）。",
             "A clause names an undeclared matter; declare matters with 定义事项 (a shared vocabulary is a good place).",
             "  事项 品牌奖", "定义事项 品牌奖励\n...\n  事项 品牌奖励"),
    "E016": ("找不到引用的词汇文件，或引用的文件不是词汇文件。", "An imported vocabulary is missing, or is not a vocabulary.",
             "  引用 \"vocab.pol\"", "  引用 \"vocabulary.pol\""),
    "E017": ("名额或预算的排序事实不能排序（应为金额、数值、百分比或年份）。",
             "A quota's or budget's ranking fact cannot be ordered (money, number, percentage or year).",
             "  名额 每年 10 家 按 企业类别 降序", "  名额 每年 10 家 按 平台交易额 降序"),
    "E018": ("名额的基数应为数值事实（该批参评总数），分组事实（每个 …）应为单个取值的枚举、标识、数值、年份或是否。",
             "A quota's base must be a number fact (the round's nominee count); a group fact (每个 …) must hold one value.",
             "事实 参评名单: 逐年 数值\n  名额 比例 15% 基数 参评名单",
             "事实 参评总人数: 数值 说明 \"该批参评总人数\"\n  名额 比例 15% 基数 参评总人数"),
    "E019": ("同一字段在一个条款或政策头部写了两次：只有最后一次生效，前一次被悄悄丢弃（如两个「给予」只付后一个）。",
             "A field is written twice in one clause or header: only the last counts, the earlier is silently dropped.",
             "  给予 10万元\n  给予 20万元", "  给予 20万元"),
    "E020": ("单位不匹配：金额不能与百分比比较或相加。", "Units do not match: money compared with or added to a percentage.",
             "  当 投资额 超过 5%", "  当 投资额 超过 500万元"),
    "E021": ("条件不是是/否判断。", "A condition is not a yes/no test.", "  当 投资额", "  当 投资额 超过 0元"),
    "E022": ("奖励金额不是金额。", "An award is not an amount of money.", "  给予 5%", "  给予 投资额 × 5%"),
    "E023": ("「首次」「增速」「上年」只能用于逐年事实。", "首次/增速/上年 need a yearly fact.",
             "事实 营业收入: 金额\n  当 营业收入 首次超过 1亿元", "事实 营业收入: 逐年 金额\n  当 营业收入 首次超过 1亿元"),
    "E025": ("不是该枚举的取值。", "Not a value of the enumeration.", "枚举 级别: 国家、省、市\n  当 品牌级别 属于 国际",
             "  当 品牌级别 属于 国家"),
    "E030": ("分档门槛顺序错误或重复：先满足的一档生效，顺序错了较高的档永远达不到。",
             "Tier thresholds out of order or repeated: the first tier that holds pays.",
             "    10亿元 → 10万元\n    30亿元 → 30万元", "    30亿元 → 30万元\n    10亿元 → 10万元"),
    "E031": ("某档或固定金额超过本条封顶。", "A tier or fixed amount is above the clause's cap.",
             "  给予 按 X 超过 分档\n    1亿元 → 300万元\n  最高 200万元", "    1亿元 → 200万元"),
    "E032": ("区间下限高于上限（比例区间 5%-20% 也是：先写低的比例）。",
             "A range's low end is above its high end (a rate range 5%-20% too: the lower rate first).",
             "  给予 5万元 至 1万元\n  给予 投资额 × 20%-5% 最高 100万元",
             "  给予 1万元 至 5万元\n  给予 投资额 × 5%-20% 最高 100万元"),
    "E036": ("同一分档中各档的比较方向不一致，或没有比较词：以上/及以上 读作不低于，以下/以内 读作不超过（含本数）。",
             "The tiers of one table compare in different ways, or no word says how: 以上/及以上 read as ≥, 以下/以内 as ≤ (the number included).",
             "  给予 按 研发投入 分档\n    1亿元以上 → 100万元\n    5000万元以下 → 50万元",
             "  给予 按 研发投入 分档\n    1亿元以上 → 100万元\n    5000万元以上 → 50万元"),
    "E033": ("「按 X 分别」需要枚举事实。", "按 X 分别 needs an enumeration fact.", "事实 级别: 数值", "枚举 等级: 国家、省、市\n事实 级别: 等级"),
    "E034": ("分级表中同一等级出现两次。", "A level appears twice in a level table.", "    国家 → 30万元\n    国家 → 20万元", "    国家 → 30万元\n    省 → 20万元"),
    "E035": ("封顶不大于0：这样的奖励永远是0元，多半是多写了负号。", "A cap that is not above 0: the award is always 0 元; usually a stray minus sign.",
             "  给予 投资额 × 5% 最高 -50万元", "  给予 投资额 × 5% 最高 50万元"),
    "E040": ("支付条款没有写金额。", "A paying clause has no award.", "条款 第三条\n  当 排名 不超过 10",
             "条款 第三条\n  当 排名 不超过 10\n  给予 最高 100万元"),
    "E041": ("「仅文本」条款不能有条件或奖励。", "A text-only clause cannot have conditions or an award.", "  给予 10万元\n  仅文本", "  仅文本"),
    "E043": ("同一条款出现两次。", "A clause appears twice.", "条款 第十条\n条款 第十条", "条款 第十条 第1项\n条款 第十条 第2项"),
    "E045": ("期限的起算事实应为年份。", "A duration's start must be a year fact.", "  期限 最多 3年 自 企业类别 次年起",
             "事实 首次获奖年度: 年份\n  期限 最多 3年 自 首次获奖年度 次年起"),
    "E046": ("金额未定或「由…审定」的奖励不能设封顶（一事一议可以：「一事一议 最高 X」按最高 X、评审确定评估）。",
             "An unspecified award or a routing cannot have a cap (case by case can: 一事一议 最高 X is evaluated as up to X).",
             "  给予 金额未定 最高 100万元", "  给予 一事一议 最高 100万元"),
    "E048": ("调整系数的条款不能同时给予奖励，系数应大于0。", "A modifier clause cannot also pay an award; its coefficient must be above 0.",
             "  系数 1.5 作用于 投资补助\n  给予 10万元", "条款 第二十一条 第1项\n  系数 1.5 作用于 投资补助\n条款 第二十一条 第2项\n  给予 10万元"),
    "E049": ("「每项」金额应恰好读取一个逐项事实；逐项事实只能在「每项」中使用。",
             "A 每项 amount must read exactly one per-item (逐项) fact, and such facts only appear there.",
             "事实 租赁费: 金额\n  给予 每项 租赁费 × 50% 每项最高 50万元", "事实 租赁费: 逐项 金额\n  给予 每项 租赁费 × 50% 每项最高 50万元"),
    "E050": ("失效日期早于施行日期。", "The end date is before the start date.", "  施行日期 2021年1月1日\n  失效日期 2020年12月31日",
             "  施行日期 2020年1月1日\n  失效日期 2020年12月31日"),
    "E052": ("两个文件使用同一文号（年份括号写法不同也算同一文号：嘉政发[2020]6号 即 嘉政发〔2020〕6号）。",
             "Two files use the same document number (brackets written differently still name one document: "
             "嘉政发[2020]6号 is 嘉政发〔2020〕6号).", "", ""),
    "E200": ("「条款 \"…\"」或「除外 \"…\"」中的文字不是条款编号。编号照原文逐级写（一、 （一） 1. （1） ① 第N条 第N款 第N项），"
             "结果、摘要和诊断都按所写显示；标题另写在「」中。",
             "The text in 条款 \"…\" or 除外 \"…\" is not a provision's numbering. Write the levels as the text does "
             "(一、 （一） 1. （1） ① 第N条 第N款 第N项); results, summaries and diagnostics show it as written. "
             "A title goes in 「」.",
             "条款 \"支持技术改造\"", "条款 \"二、（一）\" 「支持技术改造」"),
    "E201": ("无文号的政策没有「标题」：结果中以简称标识，摘要要靠完整标题指明是哪一份文件。",
             "A policy without a document number has no 标题: results name it by its short name, and the summary needs "
             "the full title to say which document it is.",
             "政策 无文号 「秀洲区技改补助」\n  施行日期 2021年1月1日",
             "政策 无文号 「秀洲区技改补助」\n  标题 \"秀洲区工业企业技术改造补助办法\"\n  施行日期 2021年1月1日"),
    "E095": ("两个政策文件生成同一个模块名（如 a-b.pol 与 a_b.pol，或不同目录下的 p.pol），一个会覆盖另一个；构建前即拒绝。",
             "Two policy files give one module name (a-b.pol and a_b.pol, or p.pol in two folders): one would overwrite "
             "the other, so the build is refused before anything is written.",
             "policies/x/p.pol\npolicies/y/p.pol", "policies/x/p.pol\npolicies/y/p-y.pol"),
    "E096": ("文件名生成的模块名是保留名：索引 README、标准库模块（如 decimal）、Python 关键字、polc 自身（runtime、compiler）"
             "或以 __ 开头。生成的文件会覆盖索引或遮蔽标准库。",
             "The file name gives a reserved module name: the README index, a standard-library module (decimal), a Python "
             "keyword, polc's own (runtime, compiler), or a name starting with __. It would overwrite the index or shadow "
             "the standard library.",
             "policies/decimal.pol", "policies/decimal-policy.pol"),
    "E054": ("配套除外的条款不存在。", "A co-funding exception names no clause of the policy.", "  配套 区级财政 不低于 50% 除外 第二十条",
             "  配套 区级财政 不低于 50% 除外 第十二条"),
    "E055": ("分担比例合计不是100%。", "The co-funding shares do not add up to 100%.",
             "  分担 市级财政 50%、区级财政 40%", "  分担 市级财政 50%、区级财政 50%"),
    "E060": ("「分担」中同一付款方出现两次：每个付款方只写一次。", "The same payer appears twice in 分担: name each payer once.",
             "  分担 市级财政 50%、市级财政 50%", "  分担 市级财政 50%、区级财政 50%"),
    "W056": ("过渡规定把施行日期之后的考核年度交给了原政策。", "A transitional rule hands years after the start date to the old policy.",
             "  施行日期 2020年1月1日\n  过渡 \"…\" 当 考核年度 早于 2023年 依照 嘉政发〔2016〕28号",
             "  过渡 \"…\" 当 考核年度 早于 2020年 依照 嘉政发〔2016〕28号"),
    "E062": ("案例没有预期结果。", "An example has no expected result.", "  案例 已知 投资额 = 100万元", "  案例 已知 投资额 = 100万元 预期 5万元"),
    "E063": ("预期结果应为金额。", "An expected result must be money.", "  案例 已知 投资额 = 100万元 预期 5", "  案例 已知 投资额 = 100万元 预期 5万元"),
    "E064": ("逐年事实要写逐年数据，非逐年事实只能写一个值。", "A yearly fact takes a series; other facts take one value.",
             "  案例 已知 营业收入 = 1亿元", "  案例 已知 营业收入 = {2018: 8000万元, 2019: 1亿元}"),
    "E065": ("案例中的事实值与声明的类型不符。", "An example's fact value does not fit its declared type.",
             "  案例 已知 投资额 = 5%", "  案例 已知 投资额 = 500万元"),
    "E071": ("多个条款涵盖同一事项，但政策没有说明如何处理重复。", "Several clauses cover one matter but the policy states no principle.",
             "政策 …\n条款 第一条 事项 品牌\n条款 第二条 事项 品牌", "政策 …\n  冲突原则 就高不重复"),
    "W024": ("「连续N年」下的条件不读取逐年事实，每年结果相同。", "A run-of-years condition reads no yearly fact.",
             "  当 连续 3年 投资额 超过 1亿元", "事实 投资额: 逐年 金额"),
    "W031": ("较低门槛的档金额高于较高门槛的档。", "A lower tier pays more than a higher tier.",
             "    30亿元 → 10万元\n    10亿元 → 30万元", "    30亿元 → 30万元\n    10亿元 → 10万元"),
    "W042": ("金额未定：政策没有公布金额，评估时会如实说明。", "No amount is stated: evaluation says so.",
             "  给予 金额未定", "  给予 金额未定 \"分档标准见附件（略）\""),
    "W044": ("条款没有原文，审阅者无法对照。", "A clause has no 原文 (original sentence).", "条款 第五条\n  给予 10万元",
             "条款 第五条\n  原文 \"……给予10万元奖励。\"\n  给予 10万元"),
    "E047": ("比例超过100%且没有说明理由。", "A rate above 100% with no stated reason.", "  给予 投资额 × 150% 最高 200万元",
             "  给予 投资额 × 150% 最高 200万元\n  说明 \"原文即为150%\""),
    "W051": ("政策没有施行日期。", "The policy has no start date.", "政策 嘉政发〔2020〕6号", "政策 嘉政发〔2020〕6号\n  施行日期 2020年1月1日"),
    "W053": ("条款标了事项，但政策没有写冲突原则。", "Clauses name matters but no conflict principle is stated.", "", "  冲突原则 就高不重复"),
    "W057": ("期限没有起算年度：「期限 最多 3年」不会被执行，以后任何年度评估都照付。",
             "A duration with no start is never enforced: any later year still pays.",
             "  期限 最多 3年", "事实 首次获奖年度: 年份\n...\n  期限 最多 3年 自 首次获奖年度 当年起"),
    "W058": ("就高不重复只在写了同一「事项」的条款之间起作用：一个没有事项的给付条款与另一条款读取完全相同的事实，很可能是同一事项写了两次，两条都会支付。",
             "就高不重复 only resolves clauses naming the same 事项: a paying clause with no 事项 that reads exactly the facts another reads is likely the same matter twice, and both pay.",
             "条款 第一条\n  当 营业收入 超过 1亿元\n  给予 10万元\n条款 第二条\n  当 营业收入 超过 2亿元\n  给予 20万元",
             "条款 第一条\n  事项 营业收入突破\n  当 营业收入 超过 1亿元\n  给予 10万元\n条款 第二条\n  事项 营业收入突破\n  当 营业收入 超过 2亿元\n  给予 20万元"),
    "W059": ("考核年度为上一年时，施行期的最后一年永远不会被考核：施行期内的评估只考核前一年。",
             "With the assessed year the year before, the last year in force is never assessed by an evaluation in force.",
             "  施行日期 2021年1月1日\n  失效日期 2023年12月31日\n  考核年度 上一年",
             "  施行日期 2021年1月1日\n  失效日期 2023年12月31日\n  考核年度 当年"),
    "W061": ("支付条款没有案例。", "A paying clause has no example.", "条款 第五条\n  给予 10万元",
             "条款 第五条\n  给予 10万元\n  案例 预期 10万元"),
    "W073": ("无法精确判断两条涵盖同一事项的条款能否同时适用：条件含两个事实之间的比较或公式，超出精确判断范围；检查器也未能找到经验证的见证。",
             "Whether two clauses of one matter can both apply cannot be decided exactly: a condition compares facts or formulas, and no confirmed witness was found.",
             "  当 投资额 超过 上限额", "  当 投资额 超过 500万元"),
    "E080": ("奖励没有上限：公式随事实增长且没有封顶。原文确无上限的，写「不设上限」并说明。",
             "An award has no upper bound: its formula grows with the facts and nothing caps it. If the text sets none, write 不设上限.",
             "  给予 投资额 × 5%", "  给予 投资额 × 5% 最高 200万元"),
    # ---- issue 13: caps per enterprise (r14-caps)
    "E300": ("企业上限不大于0：本政策将不向任何企业支付。", "An enterprise cap not above 0: the policy would pay no one.",
             "  企业上限 每年 0元", "  企业上限 每年 20万元"),
    "E301": ("「企业上限 累计 … 已获 F」的 F 应为已声明的金额事实（企业往年已按本政策获得的奖补合计，由企业申报）。",
             "The F of 企业上限 累计 … 已获 F must be a declared money fact (what the applicant received in earlier "
             "years, as it states).",
             "  企业上限 累计 100万元 已获 往年奖补\n事实 往年奖补: 逐年 金额",
             "  企业上限 累计 100万元 已获 往年奖补\n事实 往年奖补: 金额"),
    "W300": ("企业上限永远不会起作用：各条款（就高不重复后）合计最高也不到上限。",
             "An enterprise cap can never bind: the clauses together (after 就高不重复) pay at most less.",
             "  企业上限 每年 100万元\n…\n  给予 10万元", "  企业上限 每年 20万元\n…\n  给予 10万元"),
    "W081": ("封顶永远不会起作用：奖励本身不会超过它。", "A cap can never bind: the award never reaches it.",
             "    国家 → 30万元\n  最高 50万元", "    国家 → 30万元"),
    "W082": ("逐年比例表中有一年不在政策施行期内。", "A year-by-year rate applies to a year outside the policy's validity.",
             "  失效日期 2021年12月31日\n  当 实施年度 等于 2022年", "  当 实施年度 等于 2021年"),
    "W083": ("逐年比例表没有覆盖施行期内的每一年。", "A year-by-year rate table misses a year of the policy's validity.",
             "  失效日期 2022年12月31日\n  （只有2020年、2021年两档）", "  （补上2022年一档，或在说明中记录原文如此）"),
    "W084": ("标了「不设上限」，但奖励其实有上限。", "不设上限 is stated but the award is bounded.", "  给予 10万元\n  不设上限", "  给予 10万元"),
    "E110": ("「来源」指向的原文文件找不到、在项目目录之外，或不是 UTF-8 文本。路径相对于政策文件，且必须在项目内（含 polc.toml、pyproject.toml 或 .git 的最近上级目录）；项目外的文件不予读取，也不会在提示中显示其内容。",
             "The source text named by 来源 is missing, outside the project, or not UTF-8 text. The path is relative to the policy file and must stay inside the project (the nearest directory above it with polc.toml, pyproject.toml or .git); a file outside is never read, and no message shows its content.",
             "政策 嘉政发〔2020〕6号\n  来源 \"/home/me/jzf-2020-06.md\"", "政策 嘉政发〔2020〕6号\n  来源 \"sources/jzf-2020-06.md\""),
    "E111": ("「原文」（或「不编码」的句子）不在来源中。逐字比对：全角字符按半角读，空格和换行不计，「……」表示省略的部分（各段须按顺序出现）。提示给出来源中最接近的句子。原文是审阅者当作“法律这样说”的文字，引错了就是在摘要里陈述了法律没有说的话，所以是错误。",
             "A 原文 (or a 不编码 sentence) is not in the source. Compared verbatim: full-width forms read as half-width, spaces and line breaks do not count, and …… stands for omitted text (the pieces must appear in order). The hint shows the closest sentence of the source. An error, because reviewers read the quote as what the law says.",
             "  原文 \"对年营业收入首次超过30亿元的服务业企业，给予30万元的奖励。\"",
             "  原文 \"对年营业收入首次超过30亿元、20亿元、10亿元且实现税收的服务业企业，分别给予30万元、20万元、10万元的奖励。\""),
    "W112": ("原文中的数（金额、比例、门槛、名额、年限、年份、一次性）没有用在本条的编码中。数按精确值和种类比较（30亿元 与 300000万元 相同，三年 与 3年 相同）。若是有意不同，在本条的「说明」中写出这个数并说明读法，即视为已说明。",
             "A number of the 原文 (amount, rate, threshold, count, duration, year, one-off) is not used by the clause's encoding. Numbers are compared as exact values of one kind (30亿元 equals 300000万元, 三年 equals 3年). A 说明 of the clause that names the number acknowledges a deliberate difference.",
             "  原文 \"……每年奖励的企业不超过15家。\"\n  给予 10万元",
             "  原文 \"……每年奖励的企业不超过15家。\"\n  给予 10万元\n  名额 每年 15 家"),
    "W113": ("本条的编码用了原文中没有的数（包括经由定义用到的数）。若是有意不同（换算、读法），在本条的「说明」中写出这个数并说明来由（来自定义的数，也可写在该定义的说明中）。",
             "The clause's encoding uses a number its 原文 does not contain (also through a definition it reads). If deliberate (a conversion, a reading), name the number in a 说明 of the clause (or of the definition it comes from).",
             "  原文 \"……给予10万元的奖励。\"\n  给予 20万元",
             "  原文 \"……给予10万元的奖励。\"\n  给予 10万元"),
    "W114": ("来源中涉及给付或限额的句子（金额、比例、名额、给予…奖励/补助/补贴/资助/支持）没有被任何条款的原文引用。每句一条。有意不编码的，在政策头部写 不编码 \"（原句或其中一段）\" 说明 \"理由\"。",
             "A sentence of the source that pays or limits something (an amount, a rate, a quota, 给予…奖励/补助/补贴/资助/支持) is quoted by no clause. One finding per sentence. If it is deliberately not encoded, say so in the header: 不编码 \"<the sentence or part of it>\" 说明 \"<why>\".",
             "政策 测试〔2020〕9号\n  来源 \"sources/law.md\"\n（来源第二句“给予最高50万元的补助”没有条款引用）",
             "政策 测试〔2020〕9号\n  来源 \"sources/law.md\"\n  不编码 \"对新认定的省级研发中心，给予最高50万元的补助\" 说明 \"由另一文件编码\""),
    "W115": ("仅文本条款没有「说明」为什么不给付、不编码。", "A text-only clause (仅文本) has no 说明 saying why it pays nothing.",
             "条款 第十七条\n  原文 \"……\"\n  仅文本", "条款 第十七条\n  原文 \"……\"\n  仅文本\n  说明 \"规定基金投向，不给付资金\""),
    "I072": ("多个条款涵盖同一事项，政策明确可叠加。", "Several clauses cover one matter and the policies say they add up.", "", ""),
    "I074": ("涵盖同一事项的两个条款条件互斥，不会同时适用。", "Two clauses of one matter exclude each other.", "", ""),
    "I090": ("预算可覆盖的最高额奖励个数（预算 ÷ 该付款方承担的单项最高奖励）。",
             "How many maximum awards a payer's yearly budget covers.", "", "  预算 市级财政 每年 600万元"),
    "E101": ("表达式嵌套过深：条件和公式（且、或、非、比较、+ - × ÷、上年、取整、连续…）最多嵌套100层，"
             "「定义」按展开后计算，一长串「且」或「+」每一项算一层。",
             "An expression is nested too deeply: conditions and formulas nest at most 100 levels, counting the 定义 "
             "they use as written out in place; each term of a long chain of 且 or + is a level.",
             "  当 甲 且 乙 且 丙 且 …（共一百多项）", "  当 甲 且 乙\n  当 丙 且 …（拆成几行「当」，各行同时满足）"),
    "E102": ("数字超出范围：金额不超过1000万亿元，数值不超过10^15，百分比不超过1000%，最多16位整数、6位小数；"
             "年数（连续、近、期限）为1–100年，年份为1000–9999年，名额为1–1000000。",
             "A number is out of range: money up to 10^15 元, numbers up to 10^15, percentages up to 1000%, at most 16 "
             "digits and 6 decimal places; 1–100 years for 连续/近/期限, years 1000–9999, quotas 1–1000000.",
             "  当 连续 99999999年 营业收入 超过 1亿元", "  当 连续 3年 营业收入 超过 1亿元"),
    "E103": ("文件或名称过大：一个 .pol 文件最多1000000个字符，一个名称最多100个字。",
             "A file or a name is too large: a .pol file holds at most 1,000,000 characters, a name at most 100.",
             "事实 「企业在上一个完整会计年度内经审计确认的……（数百字）」: 金额", "事实 营业收入: 金额 说明 \"企业在上一个完整会计年度内经审计确认的……\""),
    "E199": ("编译器内部错误：polc 自身的缺陷（例如解释器在验证重叠见证时失败），不是草稿的问题；请连同草稿报告。",
             "Internal compiler error: a bug in polc itself (for example the interpreter failing while confirming an "
             "overlap witness), not a problem in the draft; please report it with the draft.", "", ""),
    "E340": ("分年度给予（前三年…后两年…）需要期限的起算年度：第几年由「期限 … 自 年份事实 当年起|次年起」决定；原文没有写起算年度时，声明一个由申请人提供的年份事实，缺少它的评估为「无法判定」，不会被假定。",
             "分年度 (a rate per year of a run) needs the 期限's start year: the year of the run is counted from "
             "期限 … 自 <year fact> 当年起|次年起; where the text names none, declare a year fact the applicant states, "
             "and an evaluation without it cannot be decided — polc never assumes one.",
             "  期限 最多 5年\n  给予 分年度\n    前三年 → 地方财政贡献 × 80%\n    后两年 → 地方财政贡献 × 50%",
             "  期限 最多 5年 自 认定年度 次年起\n  给予 分年度\n    前三年 → 地方财政贡献 × 80%\n    后两年 → 地方财政贡献 × 50%"),
    "E341": ("分年度的各行须依次覆盖期限的每一年，不重叠、不留空，合计等于期限的年数；「第N至M年」不能倒置。",
             "The rows of 分年度 cover each year of the 期限 once, in order, adding up to its years; 第N至M年 "
             "cannot run backwards.",
             "  期限 最多 5年 自 认定年度 当年起\n  给予 分年度\n    前三年 → 地方财政贡献 × 80%\n    第3至5年 → 地方财政贡献 × 50%",
             "  期限 最多 5年 自 认定年度 当年起\n  给予 分年度\n    前三年 → 地方财政贡献 × 80%\n    第4至5年 → 地方财政贡献 × 50%"),
    "E342": ("「自 F 起 第N年」从年份事实 F 起算（F 当年为第1年），F 须声明为年份。",
             "自 F 起 第N年 counts from the year fact F (F's own year is the first): F must be declared a year.",
             "事实 认定年度: 数值\n...\n  当 自 认定年度 起 第4年", "事实 认定年度: 年份\n...\n  当 自 认定年度 起 第4年"),
    "E343": ("分期兑现（其中 …）的各部分比例须都大于0、合计恰为100%：本期兑现的部分也要写出。",
             "The parts of an award paid in parts (其中 …) are each above 0 and add up to exactly 100%: the part "
             "paid now is written too.",
             "  给予 投资额 × 10% 最高 500万元\n  其中 50% 待 达产升规",
             "  给予 投资额 × 10% 最高 500万元\n  其中 50%\n  其中 50% 待 达产升规"),
    "E344": ("分期的一部分在一个年度兑现：「其中 30% 第2年」；跨几年的，分成几部分写。",
             "A part is paid in one year (其中 30% 第2年); a payment over several years is several parts.",
             "  其中 60% 第2至3年", "  其中 30% 第2年\n  其中 30% 第3年"),
    "E345": ("只有给出金额的条款才能分期兑现：仅文本、系数、一事一议、金额未定、由…审定都没有可分的金额。",
             "Only a clause that pays an amount can pay it in parts: text only, a modifier, 一事一议, 金额未定 and "
             "由…审定 have no amount to split.",
             "  给予 一事一议\n  其中 50%\n  其中 50% 待 达产升规",
             "  给予 最高 200万元\n  其中 50%\n  其中 50% 待 达产升规"),
    "E346": ("「抵扣 X」的 X 须是已定义的事项（抵扣本申请人该事项所获奖励）或金额事实（抵扣已获得的金额，如往年所获奖励）。",
             "In 抵扣 X, X is a declared matter (what the applicant is paid for it) or a money fact (an amount already "
             "received, such as an earlier year's award).",
             "  抵扣 固定资产投资", "定义事项 固定资产投资奖励\n...\n  抵扣 固定资产投资奖励"),
    "E347": ("抵扣不能成环：一个条款不抵扣自己的事项；事项 A 在 B 中抵扣时，B 不能（直接或经其他事项）再在 A 中抵扣。",
             "Offsets cannot go round: a clause does not offset its own matter, and if A is deducted from B, B cannot "
             "(directly or through others) be deducted from A.",
             "条款 第一条\n  事项 绩效支持奖励\n  抵扣 固定资产投资奖励\n条款 第二条\n  事项 固定资产投资奖励\n  抵扣 绩效支持奖励",
             "条款 第一条\n  事项 绩效支持奖励\n  抵扣 固定资产投资奖励\n条款 第二条\n  事项 固定资产投资奖励"),
    "E348": ("「抵扣」从本条的金额中扣除：本条须给出金额（不是一事一议、金额未定、由…审定或系数），且不与分期兑现（其中 …）同用。",
             "抵扣 reduces this clause's amount: the clause must pay an amount (not 一事一议, 金额未定, 由…审定 or a "
             "modifier), and is not also paid in parts (其中 …).",
             "  给予 一事一议\n  抵扣 固定资产投资奖励", "  给予 绩效 × 50% 最高 300万元\n  抵扣 固定资产投资奖励"),
    "I070": ("多个条款涵盖同一事项，按就高不重复只支付最高一项。", "Several clauses cover one matter; 就高不重复 pays the highest.", "", ""),
    # ---- issue 13 (r14-outcomes): budgets that pro-rate, payers, outcomes, no silent overwrite
    "E360": ("按比例核减的预算（预算 … 按比例核减/按比例分配）只能是奖励的唯一出资：同一政策有「分担」或另一项「预算」时，"
             "核减哪一部分、按哪个比例未定义。",
             "A pro-rated budget (预算 … 按比例核减) must be the awards' only funding: with 分担 or a second 预算 in the "
             "policy, which part is scaled and by which ratio is not defined.",
             "  分担 市级财政 50%、县级财政 50%\n  预算 市级财政 每年 500万元 按比例核减",
             "  预算 市级财政 每年 500万元 按比例核减"),
    "E361": ("「分担」永远不会被采用：前面一条「分担」没有「除外」，已适用于每个条款（条款采用第一条不除外它的「分担」）。",
             "A 分担 is never used: an earlier 分担 excepts nothing, so it covers every clause (a clause takes the first "
             "分担 that does not except it).",
             "  分担 市级财政 50%、县级财政 50%\n  分担 市级财政 100%",
             "  分担 市级财政 50%、县级财政 50% 除外 第十二条 第2项\n  分担 市级财政 100%"),
    "E362": ("同一事实在一个排序（按 …）或分组（每个 …）里写了两次：后一次永远不起作用。",
             "The same fact twice in one ranking (按 …) or grouping (每个 …): the later one never counts.",
             "  名额 每年 10 家 按 营业收入 降序、营业收入 升序", "  名额 每年 10 家 按 营业收入 降序"),
    "E363": ("「过渡」永远不会被采用：按顺序逐条判断，前面一条的年份不晚于本条，本条覆盖的年度都已由前面一条处理。",
             "A 过渡 rule is never used: rules are tried in order, and an earlier one with a year no later than this "
             "one's already takes every year this one covers.",
             "  过渡 \"…\" 当 考核年度 早于 2021年 依照 嘉政发〔2016〕29号\n  过渡 \"…\" 当 考核年度 早于 2020年 依照 嘉政发〔2016〕28号",
             "  过渡 \"…\" 当 考核年度 早于 2020年 依照 嘉政发〔2016〕28号\n  过渡 \"…\" 当 考核年度 早于 2021年 依照 嘉政发〔2016〕29号"),
    "W360": ("资金每年的下限（资金 F 每年 不少于 A）高于同一资金的每年预算（预算 F 每年 B）：两个数字必有一个写错。",
             "A fund's yearly minimum (资金 F 每年 不少于 A) is above its yearly budget (预算 F 每年 B): one of them is wrong.",
             "  预算 专项资金 每年 500万元\n  资金 专项资金 每年 不少于 2000万元",
             "  预算 专项资金 每年 2000万元\n  资金 专项资金 每年 不少于 2000万元"),
    "E364": ("有「预算」的政策不能用带条件的「分担」（分担 … 当 …）：各出资方从预算中承担多少取决于每个申请人，批量评估尚不支持。",
             "A policy with a 预算 cannot have a 分担 with a condition (分担 … 当 …): each payer's part of the budget "
             "depends on the applicant, which batch evaluation does not support yet.",
             "  分担 乡镇财政 100% 当 招商主体 属于 乡镇\n  分担 县级财政 100%\n  预算 县级财政 每年 500万元",
             "  分担 乡镇财政 100% 除外 第五条\n  分担 县级财政 100%\n  预算 县级财政 每年 500万元"),
    # ---- issue 13: tables, bands, tiers crossed, upgrades (r14-tables)
    "E320": ("奖励表的一行格数与表头列数不同：缺格会让某些组合没有金额，多格无处对应。",
             "A row of a two-key table has more or fewer cells than the head has columns.",
             "  给予 按 项目类别、建设类型 分别\n    列 整条生产线、数字化车间、智能工厂\n    技改项目 → 10万元、20万元",
             "  给予 按 项目类别、建设类型 分别\n    列 整条生产线、数字化车间、智能工厂\n    技改项目 → 10万元、20万元、—"),
    "E323": ("分段的一行应写一个下限和（或）一个上限，各是一个比较词加一个写明的数（超过/不低于 为下限，不超过/低于 为上限）。",
             "A band gives a lower and/or an upper bound, each a comparison word and a written number.",
             "    不低于 100 且 等于 500 → 100元/亩", "    不低于 100 且 不超过 500 → 100元/亩"),
    "E324": ("分段重叠：某些数值同时落在两段里，该付哪一段的金额无从确定。",
             "Bands overlap: some values fall in two bands, so which band pays is not determined.",
             "    不低于 100 且 不超过 500 → 100元/亩\n    不低于 500 → 200元/亩",
             "    不低于 100 且 不超过 500 → 100元/亩\n    超过 500 → 200元/亩"),
    "W324": ("分段之间有空档：落在空档里的数值不属于任何一段，不予奖励。原文如此则可忽略。",
             "A gap between bands: values in it belong to no band and get nothing. Ignore it if the text means that.",
             "    不低于 100 且 低于 500 → 100元/亩\n    超过 500 → 200元/亩",
             "    不低于 100 且 不超过 500 → 100元/亩\n    超过 500 → 200元/亩"),
    "E325": ("全量计价（所在段的单价 × 全部数量）的每段须是单价、单位一致、分段依据为数值；单价而未写「全量计价」也是错误。",
             "全量计价 (the band's unit price × the whole quantity) needs unit prices of one unit and a number to price; "
             "a unit price without 全量计价 is an error too.",
             "  给予 按 新增用地面积 分段\n    超过 500 → 200元/亩",
             "  给予 按 新增用地面积 分段 全量计价\n    超过 500 → 200元/亩"),
    "E326": ("「逐档」按首次越过的各档分别给予，比较词须是 首次超过/首次达到/首次不低于。",
             "逐档 pays each tier crossed for the first time: its word must be 首次超过, 首次达到 or 首次不低于.",
             "  给予 按 年营业收入 超过 逐档", "  给予 按 年营业收入 首次超过 逐档"),
    "E327": ("晋级差额比较新等级与原等级：两个事实须是同一个枚举（同一等级序列）。",
             "An upgrade difference compares the new level with the held one: both facts must be of one enumeration.",
             "枚举 荣誉: 市级、省级\n事实 原有等级: 荣誉\n事实 认定等级: 等级\n  给予 按 认定等级 自 原有等级 晋级差额",
             "事实 原有等级: 等级\n事实 认定等级: 等级\n  给予 按 认定等级 自 原有等级 晋级差额"),
    "W327": ("晋级差额表中较高等级的金额不高于较低等级：由低晋级到高将不付钱（等级按枚举声明顺序由低到高）。",
             "In an upgrade table a higher level pays no more than a lower one: that upgrade pays nothing (levels rise "
             "in the enumeration's declared order).",
             "枚举 等级: 市级、省级、国家级\n    市级 → 50万元\n    省级 → 20万元",
             "枚举 等级: 市级、省级、国家级\n    市级 → 20万元\n    省级 → 50万元"),

}


def explain(code: str, lang: str = "zh") -> str | None:
    entry = EXPLANATIONS.get(code)
    if entry is None:
        return None
    zh, en, bad, fixed = entry
    lines = [f"{code}: {en if lang == 'en' else zh}"]
    if bad:
        lines += ["", "Bad:" if lang == "en" else "错误写法：", *("    " + l for l in bad.split("\n"))]
    if fixed:
        lines += ["", "Fixed:" if lang == "en" else "正确写法：", *("    " + l for l in fixed.split("\n"))]
    return "\n".join(lines)


_SEVERITY = {"E": ("错误", "error"), "W": ("警告", "warning"), "I": ("提示", "info")}


def title(code: str, lang: str = "zh") -> str:
    """A code's one-line title: the first sentence of its meaning."""
    zh, en = EXPLANATIONS[code][:2]
    text = en if lang == "en" else zh
    for stop in ("。", "：", ". ", ": ", "；", "; "):
        text = text.split(stop, 1)[0]
    return text.rstrip(".。")


def listing(lang: str = "zh") -> str:
    """`polc explain --list`: every code, its severity and its title, in code order."""
    lines = []
    for code in sorted(EXPLANATIONS):
        severity = _SEVERITY[code[0]][1 if lang == "en" else 0]
        lines.append(f"{code}  {severity:<{7 if lang == 'en' else 2}}  {title(code, lang)}")
    return "\n".join(lines)
