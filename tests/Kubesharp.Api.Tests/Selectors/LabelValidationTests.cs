using Kubesharp.Api.Selectors;
using static Kubesharp.Api.Tests.Selectors.SelectorTestData;

namespace Kubesharp.Api.Tests.Selectors;

public sealed class LabelValidationTests
{
    [Theory]
    [InlineData("plain", "app")]
    [InlineData("prefixed", "example.com/app")]
    [InlineData("name with every allowed character", "A-b_c.9")]
    [InlineData("63-character name", "a23456789012345678901234567890123456789012345678901234567890123")]
    [InlineData("digits-only prefix label", "0.1.2.domain/99")]
    public void Valid_label_keys_pass(string name, string key)
    {
        Assert.True(LabelValidation.IsQualifiedName(key).Count == 0, name);
    }

    [Theory]
    [InlineData("empty", "", "name part must be non-empty|name part " + NameRule)]
    [InlineData("ends with a dot", "a.", "name part " + NameRule)]
    [InlineData("64-character name", "a234567890123456789012345678901234567890123456789012345678901234", "name part must be no more than 63 characters")]
    [InlineData("two slashes", "a/b/c", QualifiedNameRule)]
    [InlineData("empty prefix", "/a", "prefix part must be non-empty")]
    [InlineData("prefix with an underscore", "a_b.com/a", "prefix part " + SubdomainRule)]
    [InlineData("prefix with an empty label", "a..b/a", "prefix part " + SubdomainRule)]
    [InlineData("bad prefix and bad name", "A/-", "prefix part " + SubdomainRule + "|name part " + NameRule)]
    [InlineData("non-ASCII counts in bytes", "éééééééééééééééééééééééééééééééé", "name part must be no more than 63 characters|name part " + NameRule)]
    public void Invalid_label_keys_list_each_broken_rule(string name, string key, string errors)
    {
        Assert.True(errors == string.Join('|', LabelValidation.IsQualifiedName(key)), name);
    }

    [Theory]
    [InlineData("empty", "", "")]
    [InlineData("plain", "my_value-1.0", "")]
    [InlineData("63 characters", "v23456789012345678901234567890123456789012345678901234567890123", "")]
    [InlineData("64 characters", "v234567890123456789012345678901234567890123456789012345678901234", "must be no more than 63 characters")]
    [InlineData("starts with a dash", "-v", ValueRule)]
    [InlineData("has a space", "a b", ValueRule)]
    [InlineData("has a slash", "a/b", ValueRule)]
    public void Label_values_follow_upstreams_rule(string name, string value, string errors)
    {
        Assert.True(errors == string.Join('|', LabelValidation.IsValidLabelValue(value)), name);
    }
}
