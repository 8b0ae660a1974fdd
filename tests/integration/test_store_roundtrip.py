from datetime import UTC, datetime

from incident_core.adapters.dynamo import Table, model_item, serialize
from incident_core.models import TractionWindow
from incident_core.settings import get_settings


def test_model_round_trips_through_the_table(aws):
    table = Table(get_settings().table_name)
    window = TractionWindow(
        window_id="tw-1",
        start=datetime(2026, 12, 1, 8, tzinfo=UTC),
        end=datetime(2026, 12, 2, tzinfo=UTC),
        label="launch campaign",
    )
    table.dynamodb.put_item(TableName=table.name, Item=model_item(window, pk="POLICY", sk="TRACTION#tw-1"))
    stored = table.get("POLICY", "TRACTION#tw-1")
    assert TractionWindow.model_validate(stored) == window
    assert [i["label"] for i in table.query("POLICY", "TRACTION#")] == ["launch campaign"]
    assert serialize({"x": None, "y": 1.5})["y"] == {"N": "1.5"}
