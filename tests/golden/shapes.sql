-- polc build --emit sql: one row per register row and clause, evaluation date 2021-06-30
SELECT
  "_line",
  "申请人",
  CAST("policy" AS TEXT) AS policy,
  CAST("policy_index" AS INT) AS policy_index,
  CAST("clause_index" AS INT) AS clause_index,
  CAST("clause" AS TEXT) AS clause,
  CAST("static_matter" AS TEXT) AS matter,
  CAST("applies" AS BOOLEAN) AS applies,
  CAST("_polc_paid" AS BOOLEAN) AS paid,
  CAST(CASE WHEN "applies" IS TRUE THEN "award_kind" END AS TEXT) AS kind,
  CAST(CASE WHEN "applies" IS TRUE THEN "amount_min" END AS DECIMAL(38, 2)) AS amount_min,
  CAST(CASE WHEN "applies" IS TRUE THEN "amount_max" END AS DECIMAL(38, 2)) AS amount_max,
  CAST(CASE WHEN "applies" IS NULL THEN "ceiling" END AS DECIMAL(38, 2)) AS could_pay,
  CASE
    WHEN "applies" IS NULL
    THEN 'undecidable'
    WHEN NOT "applies"
    THEN 'not_applicable'
    WHEN "is_modifier"
    THEN 'modifier'
    WHEN NOT "_polc_paid"
    THEN 'not_highest'
    WHEN "award_kind" = 'routing'
    THEN 'routing'
    ELSE 'paid'
  END AS reason,
  CAST(CAST(NULL AS TEXT) AS TEXT) AS funding
FROM (
  SELECT
    "_line",
    "申请人",
    UNNEST([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) AS _polc_pos,
    UNNEST([
      "_polc_1_applies",
      "_polc_2_applies",
      "_polc_3_applies",
      "_polc_4_applies",
      "_polc_5_applies",
      "_polc_6_applies",
      "_polc_7_applies",
      "_polc_8_applies",
      "_polc_9_applies",
      "_polc_10_applies"
    ]) AS applies,
    UNNEST([
      "_polc_1_applies" IS TRUE,
      "_polc_2_paid",
      "_polc_3_applies" IS TRUE,
      "_polc_4_paid",
      "_polc_5_applies" IS TRUE,
      "_polc_6_applies" IS TRUE,
      "_polc_7_applies" IS TRUE,
      "_polc_8_applies" IS TRUE,
      "_polc_9_applies" IS TRUE,
      "_polc_10_applies" IS TRUE
    ]) AS _polc_paid,
    UNNEST([
      "_polc_1_lo",
      "_polc_2_lo",
      "_polc_3_lo",
      "_polc_4_lo",
      "_polc_5_lo",
      "_polc_6_lo",
      "_polc_7_lo",
      CAST(NULL AS DECIMAL(38, 2)),
      CAST(NULL AS DECIMAL(38, 2)),
      "_polc_10_lo"
    ]) AS amount_min,
    UNNEST([
      "_polc_1_lo",
      "_polc_2_lo",
      "_polc_3_lo",
      "_polc_4_lo",
      "_polc_5_hi",
      "_polc_6_lo",
      "_polc_7_hi",
      CAST(NULL AS DECIMAL(38, 2)),
      CAST(NULL AS DECIMAL(38, 2)),
      "_polc_10_lo"
    ]) AS amount_max
  FROM (
    SELECT
      *,
      (
        "_polc_2_applies" IS TRUE
      )
      AND (
        NOT (
          (
            "_polc_2_applies" IS TRUE
          )
          AND (
            (
              "_polc_4_applies" IS TRUE
            )
            AND (
              (
                NOT "_polc_4_lo" IS NULL
              )
              AND (
                (
                  "_polc_2_lo" IS NULL
                ) OR (
                  (
                    "_polc_4_lo" > "_polc_2_lo"
                  ) IS TRUE
                )
              )
            )
          )
        )
      ) AS _polc_2_paid,
      (
        "_polc_4_applies" IS TRUE
      )
      AND (
        NOT (
          (
            "_polc_4_applies" IS TRUE
          )
          AND (
            (
              "_polc_2_applies" IS TRUE
            )
            AND (
              (
                "_polc_4_lo" IS NULL
              )
              OR (
                (
                  "_polc_2_lo" >= "_polc_4_lo"
                ) IS TRUE
              )
            )
          )
        )
      ) AS _polc_4_paid
    FROM (
      SELECT
        *,
        CAST("_polc_1_c" AS BOOLEAN) AS _polc_1_applies,
        CAST(CASE
          WHEN NOT (
            "_polc_2_c" IS TRUE
          )
          THEN "_polc_2_c"
          WHEN NOT (
            "_polc_2_known" IS TRUE
          )
          THEN "_polc_2_known"
          ELSE TRUE
        END AS BOOLEAN) AS _polc_2_applies,
        CAST(CASE
          WHEN NOT (
            "_polc_3_c" IS TRUE
          )
          THEN "_polc_3_c"
          WHEN NOT (
            "_polc_3_known" IS TRUE
          )
          THEN "_polc_3_known"
          ELSE TRUE
        END AS BOOLEAN) AS _polc_3_applies,
        CAST(CASE
          WHEN NOT (
            "_polc_4_c" IS TRUE
          )
          THEN "_polc_4_c"
          WHEN NOT (
            "_polc_4_known" IS TRUE
          )
          THEN "_polc_4_known"
          ELSE TRUE
        END AS BOOLEAN) AS _polc_4_applies,
        CAST("_polc_5_c" AS BOOLEAN) AS _polc_5_applies,
        CAST(CASE
          WHEN NOT (
            "_polc_6_c" IS TRUE
          )
          THEN "_polc_6_c"
          WHEN NOT (
            "_polc_6_known" IS TRUE
          )
          THEN "_polc_6_known"
          ELSE CASE
            WHEN "_polc_6_start" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            ELSE (
              (
                "_polc_6_start" + 1
              ) <= 2020
            )
            AND (
              2020 <= (
                "_polc_6_start" + 3
              )
            )
          END
        END AS BOOLEAN) AS _polc_6_applies,
        CAST("_polc_7_c" AS BOOLEAN) AS _polc_7_applies,
        CAST("_polc_8_c" AS BOOLEAN) AS _polc_8_applies,
        CAST("_polc_9_c" AS BOOLEAN) AS _polc_9_applies,
        CAST(CASE
          WHEN NOT (
            "_polc_10_c" IS TRUE
          )
          THEN "_polc_10_c"
          WHEN NOT (
            "_polc_10_known" IS TRUE
          )
          THEN "_polc_10_known"
          ELSE TRUE
        END AS BOOLEAN) AS _polc_10_applies
      FROM (
        SELECT
          *,
          CAST(CAST(100000.00 AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_1_lo,
          CAST(CASE WHEN NOT "_polc_2_v1" IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END AS BOOLEAN) AS _polc_2_known,
          CAST(CAST(ROUND(
            CASE
              WHEN "_polc_2_v1" < 0
              THEN 0
              WHEN "_polc_2_v1" > 2000000
              THEN 2000000
              ELSE "_polc_2_v1"
            END,
            2
          ) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_2_lo,
          CAST(CASE
            WHEN "_polc_3_v1" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            WHEN "_polc_3_v1" = '国家'
            THEN TRUE
            WHEN "_polc_3_v1" = '省'
            THEN TRUE
            ELSE FALSE
          END AS BOOLEAN) AS _polc_3_known,
          CAST(CASE
            WHEN "_polc_3_v1" = '国家'
            THEN CAST(300000.00 AS DECIMAL(38, 2))
            WHEN "_polc_3_v1" = '省'
            THEN CAST(200000.00 AS DECIMAL(38, 2))
          END AS DECIMAL(38, 2)) AS _polc_3_lo,
          CAST(CASE
            WHEN "_polc_4_v1" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            WHEN "_polc_4_v1"
            THEN TRUE
            WHEN "_polc_4_v2" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            WHEN "_polc_4_v2"
            THEN TRUE
            WHEN "_polc_4_v3" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            WHEN "_polc_4_v3"
            THEN TRUE
            ELSE FALSE
          END AS BOOLEAN) AS _polc_4_known,
          CAST(CASE
            WHEN "_polc_4_v1" IS NULL
            THEN CAST(NULL AS DECIMAL(38, 2))
            WHEN "_polc_4_v1"
            THEN CAST(300000.00 AS DECIMAL(38, 2))
            WHEN "_polc_4_v2" IS NULL
            THEN CAST(NULL AS DECIMAL(38, 2))
            WHEN "_polc_4_v2"
            THEN CAST(200000.00 AS DECIMAL(38, 2))
            WHEN "_polc_4_v3" IS NULL
            THEN CAST(NULL AS DECIMAL(38, 2))
            WHEN "_polc_4_v3"
            THEN CAST(100000.00 AS DECIMAL(38, 2))
          END AS DECIMAL(38, 2)) AS _polc_4_lo,
          CAST(CAST(0.00 AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_5_lo,
          CAST(CAST(200000.00 AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_5_hi,
          CAST(CASE WHEN NOT "_polc_6_v1" IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END AS BOOLEAN) AS _polc_6_known,
          CAST(CAST(ROUND(CASE WHEN "_polc_6_v1" < 0 THEN 0 ELSE "_polc_6_v1" END, 2) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_6_lo,
          CAST(CAST(10000.00 AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_7_lo,
          CAST(CAST(50000.00 AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_7_hi,
          CAST(CASE WHEN NOT "_polc_10_v1" IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END AS BOOLEAN) AS _polc_10_known,
          CAST(CAST(ROUND(
            CASE
              WHEN "_polc_10_v1" < 0
              THEN 0
              WHEN "_polc_10_v1" > 5000000
              THEN 5000000
              ELSE "_polc_10_v1"
            END,
            2
          ) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_10_lo
        FROM (
          SELECT
            "_line",
            "申请人",
            "实现税收" AS _polc_1_c,
            "企业行业" IN ('生产性服务业', '生活性服务业') AS _polc_2_c,
            "投资额" * 0.05 AS _polc_2_v1,
            TRUE AS _polc_3_c,
            "品牌级别" AS _polc_3_v1,
            TRUE AS _polc_4_c,
            CASE
              WHEN "营业收入.2020" IS NULL
              THEN NULL
              WHEN NOT (
                "营业收入.2020" > 3000000000
              )
              THEN FALSE
              WHEN (
                (
                  (
                    "营业收入.2017" > 3000000000
                  ) IS TRUE
                )
                OR (
                  (
                    "营业收入.2018" > 3000000000
                  ) IS TRUE
                )
              )
              OR (
                (
                  "营业收入.2019" > 3000000000
                ) IS TRUE
              )
              THEN FALSE
              ELSE TRUE
            END AS _polc_4_v1,
            CASE
              WHEN "营业收入.2020" IS NULL
              THEN NULL
              WHEN NOT (
                "营业收入.2020" > 2000000000
              )
              THEN FALSE
              WHEN (
                (
                  (
                    "营业收入.2017" > 2000000000
                  ) IS TRUE
                )
                OR (
                  (
                    "营业收入.2018" > 2000000000
                  ) IS TRUE
                )
              )
              OR (
                (
                  "营业收入.2019" > 2000000000
                ) IS TRUE
              )
              THEN FALSE
              ELSE TRUE
            END AS _polc_4_v2,
            CASE
              WHEN "营业收入.2020" IS NULL
              THEN NULL
              WHEN NOT (
                "营业收入.2020" > 1000000000
              )
              THEN FALSE
              WHEN (
                (
                  (
                    "营业收入.2017" > 1000000000
                  ) IS TRUE
                )
                OR (
                  (
                    "营业收入.2018" > 1000000000
                  ) IS TRUE
                )
              )
              OR (
                (
                  "营业收入.2019" > 1000000000
                ) IS TRUE
              )
              THEN FALSE
              ELSE TRUE
            END AS _polc_4_v3,
            (
              (
                (
                  (
                    CASE WHEN "营业收入.2019" = 0 THEN NULL ELSE "营业收入.2020" - "营业收入.2019" END * SIGN("营业收入.2019")
                  ) > (
                    0.15 * ABS("营业收入.2019")
                  )
                )
                AND (
                  (
                    CASE WHEN "营业收入.2018" = 0 THEN NULL ELSE "营业收入.2019" - "营业收入.2018" END * SIGN("营业收入.2018")
                  ) > (
                    0.15 * ABS("营业收入.2018")
                  )
                )
              )
              AND (
                (
                  CASE WHEN "营业收入.2017" = 0 THEN NULL ELSE "营业收入.2018" - "营业收入.2017" END * SIGN("营业收入.2017")
                ) > (
                  0.15 * ABS("营业收入.2017")
                )
              )
            )
            AND (
              "营业收入.2020" >= 20000000
            ) AS _polc_5_c,
            (
              CASE WHEN "税收.2019" = 0 THEN NULL ELSE "税收.2020" - "税收.2019" END * SIGN("税收.2019")
            ) >= (
              0.1 * ABS("税收.2019")
            ) AS _polc_6_c,
            "首次获奖年度" AS _polc_6_start,
            (
              "税收.2020" - (
                "税收.2019" * 1.1
              )
            ) * 1 AS _polc_6_v1,
            (
              "排名" <= 10
            ) OR (
              NOT (
                "增长率" < 0.05
              )
            ) AS _polc_7_c,
            NOT (
              "企业行业" IN ('批零贸易')
            ) AS _polc_8_c,
            TRUE AS _polc_9_c,
            TRUE AS _polc_10_c,
            "超出面积" * 150 AS _polc_10_v1
          FROM "register"
        ) AS "_polc_layer0"
      ) AS "_polc_layer1"
    ) AS "_polc_layer2"
  ) AS "_polc_wide"
) AS "_polc_rows"
JOIN (VALUES
  (
    1,
    '测试〔2020〕1号',
    1,
    1,
    '第一条',
    CAST(NULL AS TEXT),
    'exact',
    100000.00,
    FALSE,
    CAST(NULL AS INT)
  ),
  (
    2,
    '测试〔2020〕1号',
    1,
    2,
    '第二条',
    '投资补助',
    'exact',
    2000000.00,
    FALSE,
    CAST(NULL AS INT)
  ),
  (
    3,
    '测试〔2020〕1号',
    1,
    3,
    '第三条',
    CAST(NULL AS TEXT),
    'exact',
    300000.00,
    FALSE,
    CAST(NULL AS INT)
  ),
  (
    4,
    '测试〔2020〕1号',
    1,
    4,
    '第四条',
    '投资补助',
    'exact',
    300000.00,
    FALSE,
    CAST(NULL AS INT)
  ),
  (
    5,
    '测试〔2020〕1号',
    1,
    5,
    '第五条',
    CAST(NULL AS TEXT),
    'up_to',
    200000.00,
    FALSE,
    CAST(NULL AS INT)
  ),
  (
    6,
    '测试〔2020〕1号',
    1,
    6,
    '第六条',
    CAST(NULL AS TEXT),
    'exact',
    CAST(NULL AS DECIMAL(38, 2)),
    FALSE,
    CAST(NULL AS INT)
  ),
  (
    7,
    '测试〔2020〕1号',
    1,
    7,
    '第七条',
    CAST(NULL AS TEXT),
    'range',
    50000.00,
    FALSE,
    CAST(NULL AS INT)
  ),
  (
    8,
    '测试〔2020〕1号',
    1,
    8,
    '第八条',
    CAST(NULL AS TEXT),
    'case_by_case',
    CAST(NULL AS DECIMAL(38, 2)),
    FALSE,
    CAST(NULL AS INT)
  ),
  (
    9,
    '测试〔2020〕1号',
    1,
    9,
    '第九条',
    CAST(NULL AS TEXT),
    'unspecified',
    CAST(NULL AS DECIMAL(38, 2)),
    FALSE,
    CAST(NULL AS INT)
  ),
  (
    10,
    '测试〔2020〕1号',
    1,
    10,
    '第十一条',
    CAST(NULL AS TEXT),
    'exact',
    5000000.00,
    FALSE,
    CAST(NULL AS INT)
  )) AS "_polc_clauses"("pos", "policy", "policy_index", "clause_index", "clause", "static_matter", "award_kind", "ceiling", "is_modifier", "split_no")
  ON "_polc_rows"."_polc_pos" = "_polc_clauses"."pos";
