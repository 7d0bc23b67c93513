using System.Text.RegularExpressions;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Upstream's name formats (<c>apimachinery/pkg/util/validation</c>) and their messages, and which one each
/// built-in kind uses for <c>metadata.name</c> (<c>pkg/apis/*/validation</c>). Each check returns every rule
/// broken, in upstream's order; an empty list means valid. Stateless and thread-safe.
/// </summary>
public static partial class Names
{
    public const string Dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    public const string Dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    public const string Dns1035LabelMessage = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    /// <summary>At most 63 characters of <c>[a-z0-9-]</c>, alphanumeric at both ends (namespaces, container names).</summary>
    public static bool IsDns1123Label(string value) => value.Length <= 63 && Label().IsMatch(value);

    /// <summary>At most 253 characters of labels joined by dots (most object names).</summary>
    public static bool IsDns1123Subdomain(string value) => value.Length <= 253 && Subdomain().IsMatch(value);

    /// <summary>Upstream's <c>IsDNS1123Label</c>: a subdomain with dots gets "must not contain dots".</summary>
    public static List<string> Dns1123LabelErrors(string value)
    {
        var errs = new List<string>();
        if (GoText.Utf8Length(value) > 63)
        {
            errs.Add(LabelValidation.MaxLenError(63));
        }

        if (!Label().IsMatch(value))
        {
            errs.Add(Subdomain().IsMatch(value) ? "must not contain dots" : Dns1123LabelMessage);
        }

        return errs;
    }

    /// <summary>Upstream's <c>IsDNS1123Subdomain</c>.</summary>
    public static List<string> Dns1123SubdomainErrors(string value) => LabelValidation.IsDns1123Subdomain(value);

    /// <summary>Upstream's <c>IsDNS1035Label</c> (Service names).</summary>
    public static List<string> Dns1035LabelErrors(string value)
    {
        var errs = new List<string>();
        if (GoText.Utf8Length(value) > 63)
        {
            errs.Add(LabelValidation.MaxLenError(63));
        }

        if (!Dns1035().IsMatch(value))
        {
            errs.Add(Dns1035LabelMessage);
        }

        return errs;
    }

    /// <summary>
    /// The messages for <paramref name="name"/> as a <c>metadata.name</c> of <paramref name="kind"/>, by
    /// upstream's name function for that kind. <paramref name="prefix"/> checks a <c>generateName</c>, whose
    /// trailing dash upstream masks (<c>maskTrailingDash</c>).
    /// </summary>
    public static List<string> ForKind(string group, string kind, string name, bool prefix)
    {
        if (group == "rbac.authorization.k8s.io")
        {
            return PathSegmentErrors(name, prefix);
        }

        if (prefix && name.Length > 1 && name.EndsWith('-'))
        {
            // Upstream's maskTrailingDash drops the last two characters and appends "a".
            name = name[..^2] + "a";
        }

        return (group, kind) switch
        {
            ("", "Namespace") => Dns1123LabelErrors(name),
            ("", "Service") => Dns1035LabelErrors(name),
            _ => Dns1123SubdomainErrors(name),
        };
    }

    /// <summary>Upstream's <c>path.IsValidPathSegmentName</c> (RBAC object names), with its prefix form.</summary>
    public static List<string> PathSegmentErrors(string name, bool prefix)
    {
        var errs = new List<string>();
        if (!prefix && name is "." or "..")
        {
            errs.Add($"may not be '{name}'");
        }

        foreach (var illegal in new[] { "/", "%" })
        {
            if (name.Contains(illegal, StringComparison.Ordinal))
            {
                errs.Add($"may not contain '{illegal}'");
            }
        }

        return errs;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?\\z")]
    private static partial Regex Label();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\z")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?\\z")]
    private static partial Regex Dns1035();
}
