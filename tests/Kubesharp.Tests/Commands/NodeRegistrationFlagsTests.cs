using Kubesharp.Commands;

namespace Kubesharp.Tests.Commands;

public sealed class NodeRegistrationFlagsTests
{
    [Fact]
    public void Labels_come_repeated_or_comma_separated_and_the_last_value_of_a_key_wins()
    {
        var labels = NodeRegistrationFlags.ParseLabels(["tier=cp,env=test", "example.com/zone=a", "env=prod", "empty="]);
        Assert.Equal(
            new Dictionary<string, string> { ["tier"] = "cp", ["env"] = "prod", ["example.com/zone"] = "a", ["empty"] = "" },
            labels);
        Assert.Empty(NodeRegistrationFlags.ParseLabels(null));
    }

    [Theory]
    [InlineData("novalue", "expected KEY=VALUE")]
    [InlineData("=v", "expected KEY=VALUE")]
    [InlineData("a b=c", "the key's name")]
    [InlineData("Bad_Prefix/x=1", "prefix must be a DNS subdomain")]
    [InlineData("k=-v", "the value must be")]
    public void A_bad_label_is_refused_with_what_is_wrong(string label, string message)
    {
        var e = Assert.Throws<FormatException>(() => NodeRegistrationFlags.ParseLabels([label]));
        Assert.Contains($"invalid node label \"{label}\"", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Taints_keep_their_order_with_or_without_a_value()
    {
        var taints = NodeRegistrationFlags.ParseTaints(["node-role.kubernetes.io/control-plane:NoSchedule", "dedicated=gpu:NoExecute,spot=:PreferNoSchedule"]);
        Assert.Equal(
            new (string, string?, string)[] { ("node-role.kubernetes.io/control-plane", null, "NoSchedule"), ("dedicated", "gpu", "NoExecute"), ("spot", null, "PreferNoSchedule") },
            taints.Select(t => (t.Key, (string?)t.Value, t.Effect)).ToArray());
    }

    [Theory]
    [InlineData("bad", "expected KEY[=VALUE]:EFFECT")]
    [InlineData("k=v:Never", "the effect must be one of NoSchedule, PreferNoSchedule, NoExecute")]
    [InlineData(":NoSchedule", "expected KEY[=VALUE]:EFFECT")]
    [InlineData("k=v v:NoSchedule", "the value must be")]
    public void A_bad_taint_is_refused_with_what_is_wrong(string taint, string message)
    {
        var e = Assert.Throws<FormatException>(() => NodeRegistrationFlags.ParseTaints([taint]));
        Assert.Contains($"invalid node taint \"{taint}\"", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_key_and_effect_twice_is_refused()
    {
        var e = Assert.Throws<FormatException>(() => NodeRegistrationFlags.ParseTaints(["a=1:NoSchedule", "a=2:NoSchedule"]));
        Assert.Contains("the key a is given twice with the effect NoSchedule", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, NodeRegistrationFlags.ParseTaints(["a=1:NoSchedule", "a=1:NoExecute"]).Count);
    }
}
