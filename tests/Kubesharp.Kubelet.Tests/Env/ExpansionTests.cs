using Kubesharp.Kubelet.Env;

namespace Kubesharp.Kubelet.Tests.Env;

public sealed class ExpansionTests
{
    private static readonly Dictionary<string, string> Vars = new() { ["A"] = "a", ["EMPTY"] = "", ["B"] = "$(A)" };

    [Theory]
    [InlineData("plain", "plain", "no reference")]
    [InlineData("$(A)", "a", "a whole reference")]
    [InlineData("x$(A)y$(A)", "xaya", "references inside text")]
    [InlineData("$(MISSING)", "$(MISSING)", "an unknown name stays as written")]
    [InlineData("$$(A)", "$(A)", "$$ escapes the reference")]
    [InlineData("$$$(A)", "$a", "an escaped $ then a reference")]
    [InlineData("$(A", "$(A", "an unclosed reference stays")]
    [InlineData("$A", "$A", "$ not followed by ( stays")]
    [InlineData("end$", "end$", "a trailing $ stays")]
    [InlineData("$(EMPTY)x", "x", "an empty value")]
    [InlineData("$(B)", "$(A)", "values are not expanded twice")]
    [InlineData("$()", "$()", "an empty name is looked up and stays")]
    public void Expands_like_upstream(string input, string expected, string because)
    {
        Assert.True(expected == Expansion.Expand(input, Expansion.MappingFor(Vars)), because);
    }
}
