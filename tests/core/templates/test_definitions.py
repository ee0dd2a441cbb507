"""Reading template definitions from JSON and YAML files, and finding placeholders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aimstors.core.errors import InvalidInput
from aimstors.core.templates import TemplateLinter
from aimstors.core.templates.definitions import TemplateDefinition, placeholder_keys, read_definition_file

from .conftest import order_update

YAML = """\
name: order_update
language: en_US
category: utility
components:
  - type: header
    format: text
    text: "Order {{1}}"
    example: {header_text: ["#1234"]}
  - type: body
    text: "Thank you for your order, {{1}}! Your order number is {{2}}. We will write when it ships."
    example:
      body_text: [[Pablo, 860198]]          # YAML reads 860198 as a number
  - type: footer
    text: Lucky Shrub
  - type: buttons
    buttons:
      - {type: url, text: Track, url: "https://shop.example/track/{{1}}", example: [A1B2]}
      - {type: quick_reply, text: Stop updates}
      - {type: phone_number, text: Call us, phone_number: 15550051310}
"""


def test_yaml_and_json_read_the_same_definition(tmp_path: Path) -> None:
    (tmp_path / "order.yaml").write_text(YAML, encoding="utf-8")
    from_yaml = read_definition_file(tmp_path / "order.yaml")
    assert TemplateLinter().lint(from_yaml) == []
    spec = TemplateDefinition.from_mapping(from_yaml)
    assert spec.category == "UTILITY"
    assert [c["type"] for c in spec.components] == ["HEADER", "BODY", "FOOTER", "BUTTONS"]
    assert spec.components[1]["example"] == {"body_text": [["Pablo", "860198"]]}
    assert spec.components[3]["buttons"][2] == {
        "type": "PHONE_NUMBER",
        "text": "Call us",
        "phone_number": "15550051310",
    }
    (tmp_path / "order.json").write_text(json.dumps(order_update()), encoding="utf-8")
    assert read_definition_file(tmp_path / "order.json") == order_update()
    (tmp_path / "order.template").write_text(YAML, encoding="utf-8")  # no telling suffix: JSON, else YAML
    assert read_definition_file(tmp_path / "order.template") == from_yaml


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("bad.json", '{"name": "x",\n  "language": }', "bad.json: invalid JSON at line 2, column 15"),
        ("bad.yaml", "name: x\ncomponents: [\n  - a: b\n", "bad.yaml: invalid YAML at line 3"),
        ("list.yaml", "- name: x\n", "a template definition is one mapping"),
        ("empty.yaml", "", "not a NoneType"),
    ],
)
def test_unreadable_files_are_named_with_the_line(tmp_path: Path, name: str, content: str, fragment: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read_definition_file(tmp_path / name)
    assert fragment in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_definition_file(tmp_path / "nope.yaml")


def test_placeholder_keys_in_order_once_each() -> None:
    assert placeholder_keys("Hi {{1}}, {{2}} and {{1}} again; {{ bad }} {{first_name}}") == ["1", "2", "first_name"]
    assert placeholder_keys(None) == []
