"""Who ran the pack, for its cover: identifiers from an allow-list only, never a token."""

from __future__ import annotations

from pathlib import Path

from reporter.provenance.runner import collect_runner

SECRET = "eyJhbGciOiJSUzI1NiJ9.NEVER-SHOWN"


def test_a_gitlab_job_names_its_project_job_and_user() -> None:
    env = {"GITLAB_CI": "true", "CI_JOB_ID": "991", "CI_PROJECT_PATH": "sec/estate",
           "GITLAB_USER_LOGIN": "dana", "CI_JOB_TOKEN": SECRET, "CI": "true"}
    runner = collect_runner(env)
    assert runner.describe() == "dana, GitLab CI sec/estate job 991"
    assert SECRET not in str(runner.to_dict())


def test_another_ci_is_named_by_its_job_id_only() -> None:
    assert collect_runner({"CI_JOB_ID": "77", "API_KEY": SECRET}).to_dict() == {
        "kind": "ci", "who": None, "where": "CI job 77", "description": "CI job 77"}


def test_in_cluster_the_service_account_and_pod_never_the_token(tmp_path: Path) -> None:
    (tmp_path / "namespace").write_text("compliance-reporter\n")
    (tmp_path / "token").write_text(SECRET)
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "HOSTNAME": "reporter-2894-x7k2p",
           "REPORTER_SERVICE_ACCOUNT": "compliance-reporter"}
    runner = collect_runner(env, account_dir=tmp_path)
    assert runner.describe() == ("service account compliance-reporter/compliance-reporter, "
                                 "pod reporter-2894-x7k2p")
    unnamed = collect_runner({**env, "REPORTER_SERVICE_ACCOUNT": ""}, account_dir=tmp_path)
    assert unnamed.who == ("a service account of namespace compliance-reporter "
                           "(name not exposed)")
    assert SECRET not in str(runner.to_dict()) + str(unnamed.to_dict())


def test_elsewhere_the_user_and_host_cleaned_of_markup(tmp_path: Path) -> None:
    runner = collect_runner({}, account_dir=tmp_path, user="alice", host="build<script>01")
    assert runner.to_dict() == {"kind": "local", "who": "alice", "where": "host build?script?01",
                                "description": "alice, host build?script?01"}
    assert collect_runner({}, account_dir=tmp_path, user="", host="").describe() == "not known"
