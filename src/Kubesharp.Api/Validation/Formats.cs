using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Upstream's value formats other than names (<c>apimachinery/pkg/util/validation</c>): qualified names,
/// label values, config keys, environment variable names, port names and numbers, IPs and CIDRs, percents.
/// Each returns every rule broken, in upstream's order. Stateless and thread-safe.
/// </summary>
internal static partial class Formats
{
    public static List<string> QualifiedName(string value) => LabelValidation.IsQualifiedName(value);

    public static List<string> LabelValue(string value) => LabelValidation.IsValidLabelValue(value);

    /// <summary>Upstream's <c>IsConfigMapKey</c> (ConfigMap and Secret data keys).</summary>
    public static List<string> ConfigMapKey(string value)
    {
        var errs = new List<string>();
        if (GoText.Utf8Length(value) > 253)
        {
            errs.Add(LabelValidation.MaxLenError(253));
        }

        if (!ConfigKey().IsMatch(value))
        {
            errs.Add(LabelValidation.RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", "[-._a-zA-Z0-9]+", "key.name", "KEY_NAME", "key-name"));
        }

        errs.AddRange(ChDirPrefix(value));
        return errs;
    }

    /// <summary>Upstream's <c>IsEnvVarName</c>.</summary>
    public static List<string> EnvVarName(string value)
    {
        var errs = new List<string>();
        if (!EnvName().IsMatch(value))
        {
            errs.Add(LabelValidation.RegexError("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit", "[-._a-zA-Z][-._a-zA-Z0-9]*", "my.env-name", "MY_ENV.NAME", "MyEnvName1"));
        }

        errs.AddRange(ChDirPrefix(value));
        return errs;
    }

    /// <summary>Upstream's <c>IsRelaxedEnvVarName</c>, the rule while the RelaxedEnvironmentVariableValidation gate is on.</summary>
    public static List<string> RelaxedEnvVarName(string value)
    {
        var errs = new List<string>();
        if (value.Length == 0)
        {
            errs.Add("environment variable name " + LabelValidation.EmptyError());
        }

        if (value.Any(c => c > 0x7e || c < 0x20 || c == '='))
        {
            errs.Add("a valid environment variable name must consist only of printable ASCII characters other than '='");
        }

        return errs;
    }

    /// <summary>Upstream's <c>IsValidPortName</c> (IANA service names).</summary>
    public static List<string> PortName(string port)
    {
        var errs = new List<string>();
        if (GoText.Utf8Length(port) > 15)
        {
            errs.Add(LabelValidation.MaxLenError(15));
        }

        if (!PortNameChars().IsMatch(port))
        {
            errs.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }

        if (!port.Any(char.IsAsciiLetterLower))
        {
            errs.Add("must contain at least one letter (a-z)");
        }

        if (port.Contains("--", StringComparison.Ordinal))
        {
            errs.Add("must not contain consecutive hyphens");
        }

        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-'))
        {
            errs.Add("must not begin or end with a hyphen");
        }

        return errs;
    }

    public static string InclusiveRange(long lo, long hi) => $"must be between {lo} and {hi}, inclusive";

    /// <summary>Upstream's <c>IsValidPortNum</c>.</summary>
    public static List<string> PortNumber(long port) => port is >= 1 and <= 65535 ? [] : [InclusiveRange(1, 65535)];

    /// <summary>Upstream's <c>IsValidPercent</c>.</summary>
    public static List<string> Percent(string value) =>
        PercentText().IsMatch(value) ? [] : [LabelValidation.RegexError("a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%", "93%")];

    /// <summary>Upstream's <c>IsValidIP</c> (the message of v1.32, before the stricter IP parsing).</summary>
    public static bool IsIp(string value) =>
        value.Length > 0 && !value.Contains('%', StringComparison.Ordinal) && IPAddress.TryParse(value, out var ip)
        && (ip.AddressFamily == AddressFamily.InterNetworkV6 ? value.Contains(':', StringComparison.Ordinal) : value.Count(c => c == '.') == 3);

    public const string IpMessage = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

    public const string CidrMessage = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

    /// <summary>Upstream's <c>IsValidCIDR</c> syntax check.</summary>
    public static bool IsCidr(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IsIp(value[..slash]) || !int.TryParse(value.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bits))
        {
            return false;
        }

        return bits <= (value[..slash].Contains(':', StringComparison.Ordinal) ? 128 : 32);
    }

    /// <summary>Upstream's <c>hasChDirPrefix</c>.</summary>
    private static List<string> ChDirPrefix(string value) => value switch
    {
        "." => ["must not be '.'"],
        ".." => ["must not be '..'"],
        _ when value.StartsWith("..", StringComparison.Ordinal) => ["must not start with '..'"],
        _ => [],
    };

    [GeneratedRegex("^[-._a-zA-Z0-9]+\\z")]
    private static partial Regex ConfigKey();

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*\\z")]
    private static partial Regex EnvName();

    [GeneratedRegex("^[-a-z0-9]+\\z")]
    private static partial Regex PortNameChars();

    [GeneratedRegex("^[0-9]+%\\z")]
    private static partial Regex PercentText();
}
