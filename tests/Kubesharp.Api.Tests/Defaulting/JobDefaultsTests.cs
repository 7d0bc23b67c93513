using System.Text.Json.Nodes;
using Kubesharp.Api.Defaulting;

namespace Kubesharp.Api.Tests.Defaulting;

public sealed class JobDefaultsTests
{
    [Theory]
    [InlineData("""{}""", 1, 1)]
    [InlineData("""{"parallelism":3}""", null, 3)]
    [InlineData("""{"completions":4}""", 4, 1)]
    [InlineData("""{"completions":4,"parallelism":2}""", 4, 2)]
    public void Completions_default_to_one_only_without_parallelism_as_upstream(string specJson, int? completions, int parallelism)
    {
        var job = new JsonObject { ["spec"] = JsonNode.Parse(specJson) };

        Defaults.Apply("batch", "Job", job);

        var spec = job["spec"]!;
        Assert.Equal(completions, spec["completions"]?.GetValue<int>());
        Assert.Equal(parallelism, spec["parallelism"]!.GetValue<int>());
        Assert.Equal(6, spec["backoffLimit"]!.GetValue<int>());
        Assert.Equal("TerminatingOrFailed", spec["podReplacementPolicy"]!.GetValue<string>());
    }

    [Fact]
    public void A_pod_failure_policy_makes_failed_the_replacement_policy()
    {
        var job = JsonNode.Parse("""{"spec":{"podFailurePolicy":{"rules":[]}}}""")!.AsObject();

        Defaults.Apply("batch", "Job", job);

        Assert.Equal("Failed", job["spec"]!["podReplacementPolicy"]!.GetValue<string>());
    }

    [Fact]
    public void The_selector_and_template_labels_come_from_the_uid()
    {
        var job = JsonNode.Parse("""{"metadata":{"name":"pi","uid":"u-1"},"spec":{"template":{"metadata":{"labels":{"app":"pi"}}}}}""")!.AsObject();

        JobSelector.Generate(job);

        Assert.Equal("""{"batch.kubernetes.io/controller-uid":"u-1"}""", job["spec"]!["selector"]!["matchLabels"]!.ToJsonString());
        var labels = job["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        Assert.Equal(
            ["app=pi", "batch.kubernetes.io/controller-uid=u-1", "batch.kubernetes.io/job-name=pi", "controller-uid=u-1", "job-name=pi"],
            labels.Select(kv => kv.Key + "=" + kv.Value!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(labels.ToJsonString(), job["metadata"]!["labels"]!.ToJsonString());
    }

    [Fact]
    public void A_manual_selector_and_the_jobs_own_labels_are_left_alone()
    {
        var manual = JsonNode.Parse("""{"metadata":{"name":"pi","uid":"u-1"},"spec":{"manualSelector":true,"selector":{"matchLabels":{"app":"pi"}},"template":{"metadata":{"labels":{"app":"pi"}}}}}""")!.AsObject();
        var labelled = JsonNode.Parse("""{"metadata":{"name":"pi","uid":"u-1","labels":{"team":"a"}},"spec":{"template":{}}}""")!.AsObject();
        var before = manual.ToJsonString();

        JobSelector.Generate(manual);
        JobSelector.Generate(labelled);

        Assert.Equal(before, manual.ToJsonString());
        Assert.Equal("""{"team":"a"}""", labelled["metadata"]!["labels"]!.ToJsonString());
    }
}
