-- polc build --emit sql: one row per register row and clause, evaluation date 2021-06-30
SELECT
  "_line",
  "申请人",
  "policy",
  "policy_index",
  "clause_index",
  "clause",
  "matter",
  "applies",
  CAST((
    (
      "applies" IS TRUE
    ) AND (
      NOT "award_kind" IS NULL
    )
  )
  AND (
    NOT (
      "_polc_participant" AND (
        "_polc_principle" AND (
          "_polc_place" > 1
        )
      )
    )
  ) AS BOOLEAN) AS paid,
  "kind",
  "amount_min",
  "amount_max",
  "could_pay",
  CASE
    WHEN "applies" IS NULL
    THEN 'undecidable'
    WHEN NOT "applies"
    THEN 'not_applicable'
    WHEN "is_modifier"
    THEN 'modifier'
    WHEN NOT (
      (
        (
          "applies" IS TRUE
        ) AND (
          NOT "award_kind" IS NULL
        )
      )
      AND (
        NOT (
          "_polc_participant" AND (
            "_polc_principle" AND (
              "_polc_place" > 1
            )
          )
        )
      )
    )
    THEN 'not_highest'
    WHEN "kind" = 'routing'
    THEN 'routing'
    ELSE 'paid'
  END AS reason,
  CAST(CAST(NULL AS TEXT) AS TEXT) AS funding
FROM (
  SELECT
    "_polc_ranked".*,
    COALESCE("_polc_places"."_polc_principle", FALSE) AS _polc_principle,
    COALESCE("_polc_places"."_polc_place", CAST(1 AS BIGINT)) AS _polc_place
  FROM (
    SELECT
      *,
      (
        (
          "applies" IS TRUE
        ) AND (
          NOT "award_kind" IS NULL
        )
      )
      AND (
        NOT "matter" IS NULL
      ) AS _polc_participant,
      CASE
        WHEN "award_kind" IN ('case_by_case', 'unspecified', 'routing')
        THEN 0
        ELSE 1
      END AS _polc_rank_class,
      CASE
        WHEN CASE
          WHEN "award_kind" IN ('case_by_case', 'unspecified', 'routing')
          THEN 0
          ELSE 1
        END = 1
        THEN COALESCE("amount_max", "amount_min")
        ELSE CAST(0 AS DECIMAL(38, 2))
      END AS _polc_rank_amount
    FROM (
      SELECT
        "_line",
        "申请人",
        '测试〔2020〕1号' AS policy,
        CAST(1 AS INT) AS policy_index,
        CAST(2 AS INT) AS clause_index,
        '第二条' AS clause,
        CAST('投资补助' AS TEXT) AS matter,
        CAST(CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END AS BOOLEAN) AS applies,
        CAST('exact' AS TEXT) AS award_kind,
        CAST(CASE
          WHEN CASE
            WHEN NOT (
              "_polc_c" IS TRUE
            )
            THEN "_polc_c"
            WHEN NOT (
              "_polc_known" IS TRUE
            )
            THEN "_polc_known"
            ELSE TRUE
          END IS TRUE
          THEN 'exact'
        END AS TEXT) AS kind,
        CAST(CASE
          WHEN CASE
            WHEN NOT (
              "_polc_c" IS TRUE
            )
            THEN "_polc_c"
            WHEN NOT (
              "_polc_known" IS TRUE
            )
            THEN "_polc_known"
            ELSE TRUE
          END IS TRUE
          THEN "_polc_lo"
        END AS DECIMAL(38, 2)) AS amount_min,
        CAST(CASE
          WHEN CASE
            WHEN NOT (
              "_polc_c" IS TRUE
            )
            THEN "_polc_c"
            WHEN NOT (
              "_polc_known" IS TRUE
            )
            THEN "_polc_known"
            ELSE TRUE
          END IS TRUE
          THEN "_polc_hi"
        END AS DECIMAL(38, 2)) AS amount_max,
        CAST(CASE
          WHEN CASE
            WHEN NOT (
              "_polc_c" IS TRUE
            )
            THEN "_polc_c"
            WHEN NOT (
              "_polc_known" IS TRUE
            )
            THEN "_polc_known"
            ELSE TRUE
          END IS NULL
          THEN 2000000.00
        END AS DECIMAL(38, 2)) AS could_pay,
        TRUE AS highest_only,
        FALSE AS is_modifier,
        CAST(NULL AS INT) AS split_no
      FROM (
        SELECT
          "_line",
          "申请人",
          "_polc_c",
          CAST(CASE
            WHEN NOT (
              NOT 2000000 IS NULL
            )
            THEN CAST(NULL AS BOOLEAN)
            ELSE CASE WHEN NOT "_polc_v1" IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
          END AS BOOLEAN) AS _polc_known,
          CAST(CAST(ROUND(
            CASE
              WHEN CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END > 2000000
              THEN 2000000
              ELSE CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END
            END,
            2
          ) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_lo,
          CAST(CAST(ROUND(
            CASE
              WHEN CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END > 2000000
              THEN 2000000
              ELSE CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END
            END,
            2
          ) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_hi
        FROM (
          SELECT
            "_line",
            "申请人",
            "企业行业" IN ('生产性服务业', '生活性服务业') AS _polc_c,
            "投资额" * 0.05 AS _polc_v1
          FROM "register"
        ) AS "_polc_read"
      ) AS "_polc_award"
      UNION ALL
      SELECT
        "_line",
        "申请人",
        '测试〔2020〕1号' AS policy,
        CAST(1 AS INT) AS policy_index,
        CAST(4 AS INT) AS clause_index,
        '第四条' AS clause,
        CAST('投资补助' AS TEXT) AS matter,
        CAST(CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END AS BOOLEAN) AS applies,
        CAST('exact' AS TEXT) AS award_kind,
        CAST(CASE
          WHEN CASE
            WHEN NOT (
              "_polc_c" IS TRUE
            )
            THEN "_polc_c"
            WHEN NOT (
              "_polc_known" IS TRUE
            )
            THEN "_polc_known"
            ELSE TRUE
          END IS TRUE
          THEN 'exact'
        END AS TEXT) AS kind,
        CAST(CASE
          WHEN CASE
            WHEN NOT (
              "_polc_c" IS TRUE
            )
            THEN "_polc_c"
            WHEN NOT (
              "_polc_known" IS TRUE
            )
            THEN "_polc_known"
            ELSE TRUE
          END IS TRUE
          THEN "_polc_lo"
        END AS DECIMAL(38, 2)) AS amount_min,
        CAST(CASE
          WHEN CASE
            WHEN NOT (
              "_polc_c" IS TRUE
            )
            THEN "_polc_c"
            WHEN NOT (
              "_polc_known" IS TRUE
            )
            THEN "_polc_known"
            ELSE TRUE
          END IS TRUE
          THEN "_polc_hi"
        END AS DECIMAL(38, 2)) AS amount_max,
        CAST(CASE
          WHEN CASE
            WHEN NOT (
              "_polc_c" IS TRUE
            )
            THEN "_polc_c"
            WHEN NOT (
              "_polc_known" IS TRUE
            )
            THEN "_polc_known"
            ELSE TRUE
          END IS NULL
          THEN 300000.00
        END AS DECIMAL(38, 2)) AS could_pay,
        TRUE AS highest_only,
        FALSE AS is_modifier,
        CAST(NULL AS INT) AS split_no
      FROM (
        SELECT
          "_line",
          "申请人",
          "_polc_c",
          CAST(CASE
            WHEN "_polc_v1" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            WHEN "_polc_v1"
            THEN CASE WHEN NOT 300000 IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
            WHEN "_polc_v2" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            WHEN "_polc_v2"
            THEN CASE WHEN NOT 200000 IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
            WHEN "_polc_v3" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            WHEN "_polc_v3"
            THEN CASE WHEN NOT 100000 IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
            ELSE FALSE
          END AS BOOLEAN) AS _polc_known,
          CAST(CASE
            WHEN "_polc_v1" IS NULL
            THEN CAST(NULL AS DECIMAL(38, 2))
            WHEN "_polc_v1"
            THEN CAST(ROUND(CASE WHEN 300000 < 0 THEN 0 ELSE 300000 END, 2) AS DECIMAL(38, 2))
            WHEN "_polc_v2" IS NULL
            THEN CAST(NULL AS DECIMAL(38, 2))
            WHEN "_polc_v2"
            THEN CAST(ROUND(CASE WHEN 200000 < 0 THEN 0 ELSE 200000 END, 2) AS DECIMAL(38, 2))
            WHEN "_polc_v3" IS NULL
            THEN CAST(NULL AS DECIMAL(38, 2))
            WHEN "_polc_v3"
            THEN CAST(ROUND(CASE WHEN 100000 < 0 THEN 0 ELSE 100000 END, 2) AS DECIMAL(38, 2))
          END AS DECIMAL(38, 2)) AS _polc_lo,
          CAST(CASE
            WHEN "_polc_v1" IS NULL
            THEN CAST(NULL AS DECIMAL(38, 2))
            WHEN "_polc_v1"
            THEN CAST(ROUND(CASE WHEN 300000 < 0 THEN 0 ELSE 300000 END, 2) AS DECIMAL(38, 2))
            WHEN "_polc_v2" IS NULL
            THEN CAST(NULL AS DECIMAL(38, 2))
            WHEN "_polc_v2"
            THEN CAST(ROUND(CASE WHEN 200000 < 0 THEN 0 ELSE 200000 END, 2) AS DECIMAL(38, 2))
            WHEN "_polc_v3" IS NULL
            THEN CAST(NULL AS DECIMAL(38, 2))
            WHEN "_polc_v3"
            THEN CAST(ROUND(CASE WHEN 100000 < 0 THEN 0 ELSE 100000 END, 2) AS DECIMAL(38, 2))
          END AS DECIMAL(38, 2)) AS _polc_hi
        FROM (
          SELECT
            "_line",
            "申请人",
            TRUE AS _polc_c,
            CASE
              WHEN (
                "营业收入.2020" IS NULL
              ) OR (
                3000000000 IS NULL
              )
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
            END AS _polc_v1,
            CASE
              WHEN (
                "营业收入.2020" IS NULL
              ) OR (
                2000000000 IS NULL
              )
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
            END AS _polc_v2,
            CASE
              WHEN (
                "营业收入.2020" IS NULL
              ) OR (
                1000000000 IS NULL
              )
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
            END AS _polc_v3
          FROM "register"
        ) AS "_polc_read"
      ) AS "_polc_award"
    ) AS "_polc_clauses"
  ) AS "_polc_ranked"
  LEFT JOIN (
    SELECT
      "_line" AS _polc_pl,
      "policy_index" AS _polc_pp,
      "clause_index" AS _polc_pc,
      BOOL_OR("highest_only") OVER (
        PARTITION BY "_line", "matter", "_polc_participant"
        ORDER BY "_polc_rank_class" DESC, "_polc_rank_amount" DESC, "policy_index", "clause_index"
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) AS _polc_principle,
      ROW_NUMBER() OVER (
        PARTITION BY "_line", "matter", "_polc_participant"
        ORDER BY "_polc_rank_class" DESC, "_polc_rank_amount" DESC, "policy_index", "clause_index"
      ) AS _polc_place
    FROM (
      SELECT
        *,
        (
          (
            "applies" IS TRUE
          ) AND (
            NOT "award_kind" IS NULL
          )
        )
        AND (
          NOT "matter" IS NULL
        ) AS _polc_participant,
        CASE
          WHEN "award_kind" IN ('case_by_case', 'unspecified', 'routing')
          THEN 0
          ELSE 1
        END AS _polc_rank_class,
        CASE
          WHEN CASE
            WHEN "award_kind" IN ('case_by_case', 'unspecified', 'routing')
            THEN 0
            ELSE 1
          END = 1
          THEN COALESCE("amount_max", "amount_min")
          ELSE CAST(0 AS DECIMAL(38, 2))
        END AS _polc_rank_amount
      FROM (
        SELECT
          "_line",
          "申请人",
          '测试〔2020〕1号' AS policy,
          CAST(1 AS INT) AS policy_index,
          CAST(2 AS INT) AS clause_index,
          '第二条' AS clause,
          CAST('投资补助' AS TEXT) AS matter,
          CAST(CASE
            WHEN NOT (
              "_polc_c" IS TRUE
            )
            THEN "_polc_c"
            WHEN NOT (
              "_polc_known" IS TRUE
            )
            THEN "_polc_known"
            ELSE TRUE
          END AS BOOLEAN) AS applies,
          CAST('exact' AS TEXT) AS award_kind,
          CAST(CASE
            WHEN CASE
              WHEN NOT (
                "_polc_c" IS TRUE
              )
              THEN "_polc_c"
              WHEN NOT (
                "_polc_known" IS TRUE
              )
              THEN "_polc_known"
              ELSE TRUE
            END IS TRUE
            THEN 'exact'
          END AS TEXT) AS kind,
          CAST(CASE
            WHEN CASE
              WHEN NOT (
                "_polc_c" IS TRUE
              )
              THEN "_polc_c"
              WHEN NOT (
                "_polc_known" IS TRUE
              )
              THEN "_polc_known"
              ELSE TRUE
            END IS TRUE
            THEN "_polc_lo"
          END AS DECIMAL(38, 2)) AS amount_min,
          CAST(CASE
            WHEN CASE
              WHEN NOT (
                "_polc_c" IS TRUE
              )
              THEN "_polc_c"
              WHEN NOT (
                "_polc_known" IS TRUE
              )
              THEN "_polc_known"
              ELSE TRUE
            END IS TRUE
            THEN "_polc_hi"
          END AS DECIMAL(38, 2)) AS amount_max,
          CAST(CASE
            WHEN CASE
              WHEN NOT (
                "_polc_c" IS TRUE
              )
              THEN "_polc_c"
              WHEN NOT (
                "_polc_known" IS TRUE
              )
              THEN "_polc_known"
              ELSE TRUE
            END IS NULL
            THEN 2000000.00
          END AS DECIMAL(38, 2)) AS could_pay,
          TRUE AS highest_only,
          FALSE AS is_modifier,
          CAST(NULL AS INT) AS split_no
        FROM (
          SELECT
            "_line",
            "申请人",
            "_polc_c",
            CAST(CASE
              WHEN NOT (
                NOT 2000000 IS NULL
              )
              THEN CAST(NULL AS BOOLEAN)
              ELSE CASE WHEN NOT "_polc_v1" IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
            END AS BOOLEAN) AS _polc_known,
            CAST(CAST(ROUND(
              CASE
                WHEN CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END > 2000000
                THEN 2000000
                ELSE CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END
              END,
              2
            ) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_lo,
            CAST(CAST(ROUND(
              CASE
                WHEN CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END > 2000000
                THEN 2000000
                ELSE CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END
              END,
              2
            ) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_hi
          FROM (
            SELECT
              "_line",
              "申请人",
              "企业行业" IN ('生产性服务业', '生活性服务业') AS _polc_c,
              "投资额" * 0.05 AS _polc_v1
            FROM "register"
          ) AS "_polc_read"
        ) AS "_polc_award"
        UNION ALL
        SELECT
          "_line",
          "申请人",
          '测试〔2020〕1号' AS policy,
          CAST(1 AS INT) AS policy_index,
          CAST(4 AS INT) AS clause_index,
          '第四条' AS clause,
          CAST('投资补助' AS TEXT) AS matter,
          CAST(CASE
            WHEN NOT (
              "_polc_c" IS TRUE
            )
            THEN "_polc_c"
            WHEN NOT (
              "_polc_known" IS TRUE
            )
            THEN "_polc_known"
            ELSE TRUE
          END AS BOOLEAN) AS applies,
          CAST('exact' AS TEXT) AS award_kind,
          CAST(CASE
            WHEN CASE
              WHEN NOT (
                "_polc_c" IS TRUE
              )
              THEN "_polc_c"
              WHEN NOT (
                "_polc_known" IS TRUE
              )
              THEN "_polc_known"
              ELSE TRUE
            END IS TRUE
            THEN 'exact'
          END AS TEXT) AS kind,
          CAST(CASE
            WHEN CASE
              WHEN NOT (
                "_polc_c" IS TRUE
              )
              THEN "_polc_c"
              WHEN NOT (
                "_polc_known" IS TRUE
              )
              THEN "_polc_known"
              ELSE TRUE
            END IS TRUE
            THEN "_polc_lo"
          END AS DECIMAL(38, 2)) AS amount_min,
          CAST(CASE
            WHEN CASE
              WHEN NOT (
                "_polc_c" IS TRUE
              )
              THEN "_polc_c"
              WHEN NOT (
                "_polc_known" IS TRUE
              )
              THEN "_polc_known"
              ELSE TRUE
            END IS TRUE
            THEN "_polc_hi"
          END AS DECIMAL(38, 2)) AS amount_max,
          CAST(CASE
            WHEN CASE
              WHEN NOT (
                "_polc_c" IS TRUE
              )
              THEN "_polc_c"
              WHEN NOT (
                "_polc_known" IS TRUE
              )
              THEN "_polc_known"
              ELSE TRUE
            END IS NULL
            THEN 300000.00
          END AS DECIMAL(38, 2)) AS could_pay,
          TRUE AS highest_only,
          FALSE AS is_modifier,
          CAST(NULL AS INT) AS split_no
        FROM (
          SELECT
            "_line",
            "申请人",
            "_polc_c",
            CAST(CASE
              WHEN "_polc_v1" IS NULL
              THEN CAST(NULL AS BOOLEAN)
              WHEN "_polc_v1"
              THEN CASE WHEN NOT 300000 IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
              WHEN "_polc_v2" IS NULL
              THEN CAST(NULL AS BOOLEAN)
              WHEN "_polc_v2"
              THEN CASE WHEN NOT 200000 IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
              WHEN "_polc_v3" IS NULL
              THEN CAST(NULL AS BOOLEAN)
              WHEN "_polc_v3"
              THEN CASE WHEN NOT 100000 IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
              ELSE FALSE
            END AS BOOLEAN) AS _polc_known,
            CAST(CASE
              WHEN "_polc_v1" IS NULL
              THEN CAST(NULL AS DECIMAL(38, 2))
              WHEN "_polc_v1"
              THEN CAST(ROUND(CASE WHEN 300000 < 0 THEN 0 ELSE 300000 END, 2) AS DECIMAL(38, 2))
              WHEN "_polc_v2" IS NULL
              THEN CAST(NULL AS DECIMAL(38, 2))
              WHEN "_polc_v2"
              THEN CAST(ROUND(CASE WHEN 200000 < 0 THEN 0 ELSE 200000 END, 2) AS DECIMAL(38, 2))
              WHEN "_polc_v3" IS NULL
              THEN CAST(NULL AS DECIMAL(38, 2))
              WHEN "_polc_v3"
              THEN CAST(ROUND(CASE WHEN 100000 < 0 THEN 0 ELSE 100000 END, 2) AS DECIMAL(38, 2))
            END AS DECIMAL(38, 2)) AS _polc_lo,
            CAST(CASE
              WHEN "_polc_v1" IS NULL
              THEN CAST(NULL AS DECIMAL(38, 2))
              WHEN "_polc_v1"
              THEN CAST(ROUND(CASE WHEN 300000 < 0 THEN 0 ELSE 300000 END, 2) AS DECIMAL(38, 2))
              WHEN "_polc_v2" IS NULL
              THEN CAST(NULL AS DECIMAL(38, 2))
              WHEN "_polc_v2"
              THEN CAST(ROUND(CASE WHEN 200000 < 0 THEN 0 ELSE 200000 END, 2) AS DECIMAL(38, 2))
              WHEN "_polc_v3" IS NULL
              THEN CAST(NULL AS DECIMAL(38, 2))
              WHEN "_polc_v3"
              THEN CAST(ROUND(CASE WHEN 100000 < 0 THEN 0 ELSE 100000 END, 2) AS DECIMAL(38, 2))
            END AS DECIMAL(38, 2)) AS _polc_hi
          FROM (
            SELECT
              "_line",
              "申请人",
              TRUE AS _polc_c,
              CASE
                WHEN (
                  "营业收入.2020" IS NULL
                ) OR (
                  3000000000 IS NULL
                )
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
              END AS _polc_v1,
              CASE
                WHEN (
                  "营业收入.2020" IS NULL
                ) OR (
                  2000000000 IS NULL
                )
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
              END AS _polc_v2,
              CASE
                WHEN (
                  "营业收入.2020" IS NULL
                ) OR (
                  1000000000 IS NULL
                )
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
              END AS _polc_v3
            FROM "register"
          ) AS "_polc_read"
        ) AS "_polc_award"
      ) AS "_polc_clauses"
    ) AS "_polc_ranked"
    WHERE
      "_polc_participant"
  ) AS "_polc_places"
    ON (
      (
        "_polc_ranked"."_line" = "_polc_pl"
      )
      AND (
        "_polc_ranked"."policy_index" = "_polc_pp"
      )
    )
    AND (
      "_polc_ranked"."clause_index" = "_polc_pc"
    )
  UNION ALL
  SELECT
    *,
    FALSE AS _polc_participant,
    1 AS _polc_rank_class,
    CAST(NULL AS DECIMAL(38, 2)) AS _polc_rank_amount,
    FALSE AS _polc_principle,
    CAST(1 AS BIGINT) AS _polc_place
  FROM (
    SELECT
      "_line",
      "申请人",
      '测试〔2020〕1号' AS policy,
      CAST(1 AS INT) AS policy_index,
      CAST(1 AS INT) AS clause_index,
      '第一条' AS clause,
      CAST(CAST(NULL AS TEXT) AS TEXT) AS matter,
      CAST(CASE
        WHEN NOT (
          "_polc_c" IS TRUE
        )
        THEN "_polc_c"
        WHEN NOT (
          "_polc_known" IS TRUE
        )
        THEN "_polc_known"
        ELSE TRUE
      END AS BOOLEAN) AS applies,
      CAST('exact' AS TEXT) AS award_kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN 'exact'
      END AS TEXT) AS kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_lo"
      END AS DECIMAL(38, 2)) AS amount_min,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_hi"
      END AS DECIMAL(38, 2)) AS amount_max,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS NULL
        THEN 100000.00
      END AS DECIMAL(38, 2)) AS could_pay,
      TRUE AS highest_only,
      FALSE AS is_modifier,
      CAST(NULL AS INT) AS split_no
    FROM (
      SELECT
        "_line",
        "申请人",
        "_polc_c",
        CAST(CASE WHEN NOT 100000 IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END AS BOOLEAN) AS _polc_known,
        CAST(CAST(ROUND(CASE WHEN 100000 < 0 THEN 0 ELSE 100000 END, 2) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_lo,
        CAST(CAST(ROUND(CASE WHEN 100000 < 0 THEN 0 ELSE 100000 END, 2) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_hi
      FROM (
        SELECT
          "_line",
          "申请人",
          "实现税收" AS _polc_c
        FROM "register"
      ) AS "_polc_read"
    ) AS "_polc_award"
    UNION ALL
    SELECT
      "_line",
      "申请人",
      '测试〔2020〕1号' AS policy,
      CAST(1 AS INT) AS policy_index,
      CAST(3 AS INT) AS clause_index,
      '第三条' AS clause,
      CAST(CAST(NULL AS TEXT) AS TEXT) AS matter,
      CAST(CASE
        WHEN NOT (
          "_polc_c" IS TRUE
        )
        THEN "_polc_c"
        WHEN NOT (
          "_polc_known" IS TRUE
        )
        THEN "_polc_known"
        ELSE TRUE
      END AS BOOLEAN) AS applies,
      CAST('exact' AS TEXT) AS award_kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN 'exact'
      END AS TEXT) AS kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_lo"
      END AS DECIMAL(38, 2)) AS amount_min,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_hi"
      END AS DECIMAL(38, 2)) AS amount_max,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS NULL
        THEN 300000.00
      END AS DECIMAL(38, 2)) AS could_pay,
      TRUE AS highest_only,
      FALSE AS is_modifier,
      CAST(NULL AS INT) AS split_no
    FROM (
      SELECT
        "_line",
        "申请人",
        "_polc_c",
        CAST(CASE
          WHEN "_polc_v1" IS NULL
          THEN CAST(NULL AS BOOLEAN)
          WHEN "_polc_v1" = '国家'
          THEN CASE WHEN NOT 300000 IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
          WHEN "_polc_v1" = '省'
          THEN CASE WHEN NOT 200000 IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
          ELSE FALSE
        END AS BOOLEAN) AS _polc_known,
        CAST(CASE
          WHEN "_polc_v1" = '国家'
          THEN CAST(ROUND(CASE WHEN 300000 < 0 THEN 0 ELSE 300000 END, 2) AS DECIMAL(38, 2))
          WHEN "_polc_v1" = '省'
          THEN CAST(ROUND(CASE WHEN 200000 < 0 THEN 0 ELSE 200000 END, 2) AS DECIMAL(38, 2))
        END AS DECIMAL(38, 2)) AS _polc_lo,
        CAST(CASE
          WHEN "_polc_v1" = '国家'
          THEN CAST(ROUND(CASE WHEN 300000 < 0 THEN 0 ELSE 300000 END, 2) AS DECIMAL(38, 2))
          WHEN "_polc_v1" = '省'
          THEN CAST(ROUND(CASE WHEN 200000 < 0 THEN 0 ELSE 200000 END, 2) AS DECIMAL(38, 2))
        END AS DECIMAL(38, 2)) AS _polc_hi
      FROM (
        SELECT
          "_line",
          "申请人",
          TRUE AS _polc_c,
          "品牌级别" AS _polc_v1
        FROM "register"
      ) AS "_polc_read"
    ) AS "_polc_award"
    UNION ALL
    SELECT
      "_line",
      "申请人",
      '测试〔2020〕1号' AS policy,
      CAST(1 AS INT) AS policy_index,
      CAST(5 AS INT) AS clause_index,
      '第五条' AS clause,
      CAST(CAST(NULL AS TEXT) AS TEXT) AS matter,
      CAST(CASE
        WHEN NOT (
          "_polc_c" IS TRUE
        )
        THEN "_polc_c"
        WHEN NOT (
          "_polc_known" IS TRUE
        )
        THEN "_polc_known"
        ELSE TRUE
      END AS BOOLEAN) AS applies,
      CAST('up_to' AS TEXT) AS award_kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN 'up_to'
      END AS TEXT) AS kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_lo"
      END AS DECIMAL(38, 2)) AS amount_min,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_hi"
      END AS DECIMAL(38, 2)) AS amount_max,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS NULL
        THEN 200000.00
      END AS DECIMAL(38, 2)) AS could_pay,
      TRUE AS highest_only,
      FALSE AS is_modifier,
      CAST(NULL AS INT) AS split_no
    FROM (
      SELECT
        "_line",
        "申请人",
        "_polc_c",
        CAST(CASE WHEN NOT 200000 IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END AS BOOLEAN) AS _polc_known,
        CAST(CAST(0.00 AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_lo,
        CAST(CAST(ROUND(CASE WHEN 200000 < 0 THEN 0 ELSE 200000 END, 2) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_hi
      FROM (
        SELECT
          "_line",
          "申请人",
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
          ) AS _polc_c
        FROM "register"
      ) AS "_polc_read"
    ) AS "_polc_award"
    UNION ALL
    SELECT
      "_line",
      "申请人",
      '测试〔2020〕1号' AS policy,
      CAST(1 AS INT) AS policy_index,
      CAST(6 AS INT) AS clause_index,
      '第六条' AS clause,
      CAST(CAST(NULL AS TEXT) AS TEXT) AS matter,
      CAST(CASE
        WHEN NOT (
          "_polc_c" IS TRUE
        )
        THEN "_polc_c"
        WHEN NOT (
          "_polc_known" IS TRUE
        )
        THEN "_polc_known"
        ELSE CASE
          WHEN "_polc_start" IS NULL
          THEN CAST(NULL AS BOOLEAN)
          ELSE (
            (
              "_polc_start" + 1
            ) <= 2020
          )
          AND (
            2020 <= (
              "_polc_start" + 3
            )
          )
        END
      END AS BOOLEAN) AS applies,
      CAST('exact' AS TEXT) AS award_kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE CASE
            WHEN "_polc_start" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            ELSE (
              (
                "_polc_start" + 1
              ) <= 2020
            )
            AND (
              2020 <= (
                "_polc_start" + 3
              )
            )
          END
        END IS TRUE
        THEN 'exact'
      END AS TEXT) AS kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE CASE
            WHEN "_polc_start" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            ELSE (
              (
                "_polc_start" + 1
              ) <= 2020
            )
            AND (
              2020 <= (
                "_polc_start" + 3
              )
            )
          END
        END IS TRUE
        THEN "_polc_lo"
      END AS DECIMAL(38, 2)) AS amount_min,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE CASE
            WHEN "_polc_start" IS NULL
            THEN CAST(NULL AS BOOLEAN)
            ELSE (
              (
                "_polc_start" + 1
              ) <= 2020
            )
            AND (
              2020 <= (
                "_polc_start" + 3
              )
            )
          END
        END IS TRUE
        THEN "_polc_hi"
      END AS DECIMAL(38, 2)) AS amount_max,
      CAST(CAST(NULL AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS could_pay,
      TRUE AS highest_only,
      FALSE AS is_modifier,
      CAST(NULL AS INT) AS split_no
    FROM (
      SELECT
        "_line",
        "申请人",
        "_polc_c",
        "_polc_start",
        CAST(CASE WHEN NOT "_polc_v1" IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END AS BOOLEAN) AS _polc_known,
        CAST(CAST(ROUND(CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END, 2) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_lo,
        CAST(CAST(ROUND(CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END, 2) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_hi
      FROM (
        SELECT
          "_line",
          "申请人",
          (
            CASE WHEN "税收.2019" = 0 THEN NULL ELSE "税收.2020" - "税收.2019" END * SIGN("税收.2019")
          ) >= (
            0.1 * ABS("税收.2019")
          ) AS _polc_c,
          "首次获奖年度" AS _polc_start,
          (
            "税收.2020" - (
              "税收.2019" * 1.1
            )
          ) * 1 AS _polc_v1
        FROM "register"
      ) AS "_polc_read"
    ) AS "_polc_award"
    UNION ALL
    SELECT
      "_line",
      "申请人",
      '测试〔2020〕1号' AS policy,
      CAST(1 AS INT) AS policy_index,
      CAST(7 AS INT) AS clause_index,
      '第七条' AS clause,
      CAST(CAST(NULL AS TEXT) AS TEXT) AS matter,
      CAST(CASE
        WHEN NOT (
          "_polc_c" IS TRUE
        )
        THEN "_polc_c"
        WHEN NOT (
          "_polc_known" IS TRUE
        )
        THEN "_polc_known"
        ELSE TRUE
      END AS BOOLEAN) AS applies,
      CAST('range' AS TEXT) AS award_kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN 'range'
      END AS TEXT) AS kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_lo"
      END AS DECIMAL(38, 2)) AS amount_min,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_hi"
      END AS DECIMAL(38, 2)) AS amount_max,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS NULL
        THEN 50000.00
      END AS DECIMAL(38, 2)) AS could_pay,
      TRUE AS highest_only,
      FALSE AS is_modifier,
      CAST(NULL AS INT) AS split_no
    FROM (
      SELECT
        "_line",
        "申请人",
        "_polc_c",
        CAST(CASE
          WHEN (
            NOT 10000 IS NULL
          ) AND (
            NOT 50000 IS NULL
          )
          THEN TRUE
          ELSE CAST(NULL AS BOOLEAN)
        END AS BOOLEAN) AS _polc_known,
        CAST(CAST(ROUND(CASE WHEN 10000 < 0 THEN 0 ELSE 10000 END, 2) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_lo,
        CAST(CAST(ROUND(CASE WHEN 50000 < 0 THEN 0 ELSE 50000 END, 2) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_hi
      FROM (
        SELECT
          "_line",
          "申请人",
          (
            "排名" <= 10
          ) OR (
            NOT (
              "增长率" < 0.05
            )
          ) AS _polc_c
        FROM "register"
      ) AS "_polc_read"
    ) AS "_polc_award"
    UNION ALL
    SELECT
      "_line",
      "申请人",
      '测试〔2020〕1号' AS policy,
      CAST(1 AS INT) AS policy_index,
      CAST(8 AS INT) AS clause_index,
      '第八条' AS clause,
      CAST(CAST(NULL AS TEXT) AS TEXT) AS matter,
      CAST(CASE
        WHEN NOT (
          "_polc_c" IS TRUE
        )
        THEN "_polc_c"
        WHEN NOT (
          "_polc_known" IS TRUE
        )
        THEN "_polc_known"
        ELSE TRUE
      END AS BOOLEAN) AS applies,
      CAST('case_by_case' AS TEXT) AS award_kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN 'case_by_case'
      END AS TEXT) AS kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_lo"
      END AS DECIMAL(38, 2)) AS amount_min,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_hi"
      END AS DECIMAL(38, 2)) AS amount_max,
      CAST(CAST(NULL AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS could_pay,
      TRUE AS highest_only,
      FALSE AS is_modifier,
      CAST(NULL AS INT) AS split_no
    FROM (
      SELECT
        "_line",
        "申请人",
        "_polc_c",
        CAST(TRUE AS BOOLEAN) AS _polc_known,
        CAST(NULL AS DECIMAL(38, 2)) AS _polc_lo,
        CAST(NULL AS DECIMAL(38, 2)) AS _polc_hi
      FROM (
        SELECT
          "_line",
          "申请人",
          NOT (
            "企业行业" IN ('批零贸易')
          ) AS _polc_c
        FROM "register"
      ) AS "_polc_read"
    ) AS "_polc_award"
    UNION ALL
    SELECT
      "_line",
      "申请人",
      '测试〔2020〕1号' AS policy,
      CAST(1 AS INT) AS policy_index,
      CAST(9 AS INT) AS clause_index,
      '第九条' AS clause,
      CAST(CAST(NULL AS TEXT) AS TEXT) AS matter,
      CAST(CASE
        WHEN NOT (
          "_polc_c" IS TRUE
        )
        THEN "_polc_c"
        WHEN NOT (
          "_polc_known" IS TRUE
        )
        THEN "_polc_known"
        ELSE TRUE
      END AS BOOLEAN) AS applies,
      CAST('unspecified' AS TEXT) AS award_kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN 'unspecified'
      END AS TEXT) AS kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_lo"
      END AS DECIMAL(38, 2)) AS amount_min,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_hi"
      END AS DECIMAL(38, 2)) AS amount_max,
      CAST(CAST(NULL AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS could_pay,
      TRUE AS highest_only,
      FALSE AS is_modifier,
      CAST(NULL AS INT) AS split_no
    FROM (
      SELECT
        "_line",
        "申请人",
        "_polc_c",
        CAST(TRUE AS BOOLEAN) AS _polc_known,
        CAST(NULL AS DECIMAL(38, 2)) AS _polc_lo,
        CAST(NULL AS DECIMAL(38, 2)) AS _polc_hi
      FROM (
        SELECT
          "_line",
          "申请人",
          TRUE AS _polc_c
        FROM "register"
      ) AS "_polc_read"
    ) AS "_polc_award"
    UNION ALL
    SELECT
      "_line",
      "申请人",
      '测试〔2020〕1号' AS policy,
      CAST(1 AS INT) AS policy_index,
      CAST(10 AS INT) AS clause_index,
      '第十一条' AS clause,
      CAST(CAST(NULL AS TEXT) AS TEXT) AS matter,
      CAST(CASE
        WHEN NOT (
          "_polc_c" IS TRUE
        )
        THEN "_polc_c"
        WHEN NOT (
          "_polc_known" IS TRUE
        )
        THEN "_polc_known"
        ELSE TRUE
      END AS BOOLEAN) AS applies,
      CAST('exact' AS TEXT) AS award_kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN 'exact'
      END AS TEXT) AS kind,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_lo"
      END AS DECIMAL(38, 2)) AS amount_min,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS TRUE
        THEN "_polc_hi"
      END AS DECIMAL(38, 2)) AS amount_max,
      CAST(CASE
        WHEN CASE
          WHEN NOT (
            "_polc_c" IS TRUE
          )
          THEN "_polc_c"
          WHEN NOT (
            "_polc_known" IS TRUE
          )
          THEN "_polc_known"
          ELSE TRUE
        END IS NULL
        THEN 5000000.00
      END AS DECIMAL(38, 2)) AS could_pay,
      TRUE AS highest_only,
      FALSE AS is_modifier,
      CAST(NULL AS INT) AS split_no
    FROM (
      SELECT
        "_line",
        "申请人",
        "_polc_c",
        CAST(CASE
          WHEN NOT (
            NOT 5000000 IS NULL
          )
          THEN CAST(NULL AS BOOLEAN)
          ELSE CASE WHEN NOT "_polc_v1" IS NULL THEN TRUE ELSE CAST(NULL AS BOOLEAN) END
        END AS BOOLEAN) AS _polc_known,
        CAST(CAST(ROUND(
          CASE
            WHEN CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END > 5000000
            THEN 5000000
            ELSE CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END
          END,
          2
        ) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_lo,
        CAST(CAST(ROUND(
          CASE
            WHEN CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END > 5000000
            THEN 5000000
            ELSE CASE WHEN "_polc_v1" < 0 THEN 0 ELSE "_polc_v1" END
          END,
          2
        ) AS DECIMAL(38, 2)) AS DECIMAL(38, 2)) AS _polc_hi
      FROM (
        SELECT
          "_line",
          "申请人",
          TRUE AS _polc_c,
          "超出面积" * 150 AS _polc_v1
        FROM "register"
      ) AS "_polc_read"
    ) AS "_polc_award"
  ) AS "_polc_alone"
) AS "_polc_resolved";
