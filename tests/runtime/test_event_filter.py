"""FilterCriteria with Lambda's event-filtering semantics, on DynamoDB stream records."""

from __future__ import annotations

import json

import pytest

from local.runtime.event_filter import FilterCriteria, FilterCriteriaError


def record(event_name="MODIFY", size=120, **new_image):
    change = {
        "Keys": {"id": {"S": "p1"}},
        "NewImage": {"id": {"S": "p1"}, **new_image},
        "SequenceNumber": "111",
        "SizeBytes": size,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": change}


def passes(pattern, rec):
    return FilterCriteria([json.dumps(pattern)]).matches(rec)


def test_nested_new_image_values_as_lambda_sees_them():
    pattern = {
        "eventName": ["MODIFY"],
        "dynamodb": {"NewImage": {"status": {"S": ["PROCESSING", "COMPLETED"]}}},
    }
    assert passes(pattern, record(status={"S": "COMPLETED"}))
    assert not passes(pattern, record(status={"S": "STARTED"}))
    assert not passes(pattern, record("INSERT", status={"S": "COMPLETED"}))
    assert not passes(pattern, record())  # attribute absent


def test_prefix():
    pattern = {"dynamodb": {"NewImage": {"key": {"S": [{"prefix": "pics/"}]}}}}
    assert passes(pattern, record(key={"S": "pics/u/1.png"}))
    assert not passes(pattern, record(key={"S": "tmp/pics/1.png"}))


def test_anything_but_does_not_match_a_missing_attribute():
    pattern = {"dynamodb": {"NewImage": {"status": {"S": [{"anything-but": ["STARTED"]}]}}}}
    assert passes(pattern, record(status={"S": "FAILED"}))
    assert not passes(pattern, record(status={"S": "STARTED"}))
    assert not passes(pattern, record())


def test_numeric_applies_to_json_numbers_not_to_dynamodb_n_strings():
    assert passes({"dynamodb": {"SizeBytes": [{"numeric": [">", 100, "<=", 200]}]}}, record())
    assert not passes({"dynamodb": {"SizeBytes": [{"numeric": [">", 200]}]}}, record())
    # N values are strings in the record, so a numeric filter never matches them.
    assert not passes(
        {"dynamodb": {"NewImage": {"n": {"N": [{"numeric": [">", 1]}]}}}}, record(n={"N": "5"})
    )
    assert passes({"dynamodb": {"NewImage": {"n": {"N": ["5"]}}}}, record(n={"N": "5"}))


def test_exists():
    present = {"dynamodb": {"NewImage": {"imgId": {"S": [{"exists": True}]}}}}
    absent = {"dynamodb": {"NewImage": {"imgId": {"S": [{"exists": False}]}}}}
    assert passes(present, record(imgId={"S": "k"}))
    assert not passes(present, record())
    assert passes(absent, record())
    assert not passes(absent, record(imgId={"S": "k"}))


def test_filters_are_ored_and_none_pass_everything():
    criteria = FilterCriteria(
        [json.dumps({"eventName": ["INSERT"]}), json.dumps({"eventName": ["REMOVE"]})]
    )
    assert criteria.matches(record("INSERT"))
    assert criteria.matches(record("REMOVE"))
    assert not criteria.matches(record("MODIFY"))
    assert FilterCriteria([]).matches(record())


@pytest.mark.parametrize("raw", ["not json", "[1]", json.dumps({"eventName": "MODIFY"})])
def test_invalid_patterns_are_refused(raw):
    with pytest.raises(FilterCriteriaError):
        FilterCriteria([raw])


def test_exists_matches_a_typed_leaf_not_the_attribute():
    """The publish filter's progress pattern (modules/pipeline/triggers.tf) leaves out the
    webhook's image-store writes with ``{S: [{exists: false}]}``: exists applies to leaf
    values only, so it names the typed value, as Lambda documents."""
    pattern = {
        "dynamodb": {
            "NewImage": {
                "progress": {"N": [{"exists": True}]},
                "imageStoreLease": {"S": [{"exists": False}]},
            }
        }
    }
    assert passes(pattern, record(progress={"N": "10"}))
    assert not passes(pattern, record(progress={"N": "10"}, imageStoreLease={"S": "lease"}))
    assert not passes(pattern, record())
