using System.Text.RegularExpressions;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Crd;

/// <summary>Upstream's name formats that CRDs use (<c>apimachinery/pkg/util/validation</c>), with their messages.</summary>
public static partial class CrdNameRules
{
    private const string Dns1035Format = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1035Message = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

    /// <summary>Upstream's <c>IsDNS1035Label</c>: the reasons <paramref name="value"/> is not one; empty when it is.</summary>
    public static List<string> Dns1035Label(string value)
    {
        var errors = new List<string>();
        if (GoText.Utf8Length(value) > 63)
        {
            errors.Add(LabelValidation.MaxLenError(63));
        }

        if (!Dns1035().IsMatch(value))
        {
            errors.Add(LabelValidation.RegexError(Dns1035Message, Dns1035Format, "my-name", "abc-123"));
        }

        return errors;
    }

    /// <summary>Upstream's <c>IsDNS1123Subdomain</c>: the reasons <paramref name="value"/> is not one; empty when it is.</summary>
    public static List<string> Dns1123Subdomain(string value) => LabelValidation.IsDns1123Subdomain(value);

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035();
}
