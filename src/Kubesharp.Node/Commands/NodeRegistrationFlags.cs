using System.CommandLine;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Kubesharp.Commands;

/// <summary>
/// The labels and taints a node registers with: k3s's repeatable <c>--node-label KEY=VALUE</c> and
/// <c>--node-taint KEY[=VALUE]:EFFECT</c> on <c>server</c> and <c>agent</c>, which are the kubelet's
/// <c>--node-labels</c> and <c>--register-with-taints</c> (comma-separated lists; accepted as aliases). Taints are set
/// when the Node is created, as upstream's kubelet does; labels also on every start.
/// </summary>
internal static partial class NodeRegistrationFlags
{
    private static readonly string[] Effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

    public static Option<string[]> LabelOption() => new("--node-label", "--node-labels")
    {
        Description = "A label the node registers with, KEY=VALUE (repeatable, or comma-separated).",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string[]> TaintOption(bool server) => new("--node-taint", "--register-with-taints")
    {
        Description = server
            ? "A taint the server's own node registers with, KEY[=VALUE]:EFFECT (repeatable, or comma-separated); e.g. node-role.kubernetes.io/control-plane:NoSchedule keeps workloads off it."
            : "A taint the node registers with, KEY[=VALUE]:EFFECT (repeatable, or comma-separated); EFFECT is NoSchedule, PreferNoSchedule or NoExecute.",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>The labels given, or an error naming the bad one.</summary>
    public static Dictionary<string, string> ParseLabels(IEnumerable<string>? values)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in Split(values))
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"invalid node label \"{item}\": expected KEY=VALUE");
            }

            var (key, value) = (item[..eq], item[(eq + 1)..]);
            CheckKey(key, "node label", item);
            if (value.Length > 63 || (value.Length > 0 && !LabelValue().IsMatch(value)))
            {
                throw new FormatException($"invalid node label \"{item}\": the value must be at most 63 characters of [A-Za-z0-9_.-], starting and ending with an alphanumeric character");
            }

            labels[key] = value;
        }

        return labels;
    }

    /// <summary>The taints given, in order, or an error naming the bad one.</summary>
    public static List<V1Taint> ParseTaints(IEnumerable<string>? values)
    {
        var taints = new List<V1Taint>();
        foreach (var item in Split(values))
        {
            var colon = item.LastIndexOf(':');
            if (colon <= 0)
            {
                throw new FormatException($"invalid node taint \"{item}\": expected KEY[=VALUE]:EFFECT");
            }

            var effect = item[(colon + 1)..];
            if (!Effects.Contains(effect, StringComparer.Ordinal))
            {
                throw new FormatException($"invalid node taint \"{item}\": the effect must be one of {string.Join(", ", Effects)}");
            }

            var keyValue = item[..colon];
            var eq = keyValue.IndexOf('=', StringComparison.Ordinal);
            var (key, value) = eq < 0 ? (keyValue, null) : (keyValue[..eq], keyValue[(eq + 1)..]);
            CheckKey(key, "node taint", item);
            if (value is { Length: > 0 } && (value.Length > 63 || !LabelValue().IsMatch(value)))
            {
                throw new FormatException($"invalid node taint \"{item}\": the value must be at most 63 characters of [A-Za-z0-9_.-], starting and ending with an alphanumeric character");
            }

            if (taints.Any(t => t.Key == key && t.Effect == effect))
            {
                throw new FormatException($"invalid node taint \"{item}\": the key {key} is given twice with the effect {effect}");
            }

            taints.Add(new V1Taint { Key = key, Value = string.IsNullOrEmpty(value) ? null : value, Effect = effect });
        }

        return taints;
    }

    private static IEnumerable<string> Split(IEnumerable<string>? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>A qualified name: an optional DNS-subdomain prefix and a slash, then a name of at most 63 characters.</summary>
    private static void CheckKey(string key, string what, string item)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (prefix, name) = slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
        if (prefix is not null && (prefix.Length is 0 or > 253 || !Subdomain().IsMatch(prefix)))
        {
            throw new FormatException($"invalid {what} \"{item}\": the key's prefix must be a DNS subdomain");
        }

        if (name.Length is 0 or > 63 || !LabelValue().IsMatch(name))
        {
            throw new FormatException($"invalid {what} \"{item}\": the key's name must be 1 to 63 characters of [A-Za-z0-9_.-], starting and ending with an alphanumeric character");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();
}
