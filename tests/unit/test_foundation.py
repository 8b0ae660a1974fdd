from stand_ins.aws import table_definitions


def test_template_declares_main_and_idempotency_tables():
    tables = table_definitions()
    assert set(tables) == {"Table", "IdempotencyTable"}
    assert [k["AttributeName"] for k in tables["Table"]["KeySchema"]] == ["pk", "sk"]
    assert tables["Table"]["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"
