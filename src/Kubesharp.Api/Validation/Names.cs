using System.Text.RegularExpressions;

namespace Kubesharp.Api.Validation;

/// <summary>Upstream's name formats (<c>apimachinery/pkg/util/validation</c>) and their messages.</summary>
public static partial class Names
{
    public const string Dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    public const string Dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    /// <summary>At most 63 characters of <c>[a-z0-9-]</c>, alphanumeric at both ends (namespaces, container names).</summary>
    public static bool IsDns1123Label(string value) => value.Length <= 63 && Label().IsMatch(value);

    /// <summary>At most 253 characters of labels joined by dots (most object names).</summary>
    public static bool IsDns1123Subdomain(string value) => value.Length <= 253 && Subdomain().IsMatch(value);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();
}
