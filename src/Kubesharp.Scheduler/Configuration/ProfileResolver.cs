using System.Text.Json;

namespace Kubesharp.Scheduler.Configuration;

/// <summary>
/// A profile after upstream's merge: the plugin names that run at each extension point, in order, the score
/// weights, and the args of each plugin that has some. <see cref="SchedulerConfiguration.CreateProfiles"/> builds
/// the plugins from it.
/// </summary>
public sealed record ResolvedProfile(
    string SchedulerName,
    int PercentageOfNodesToScore,
    IReadOnlyDictionary<ExtensionPoint, IReadOnlyList<string>> Points,
    IReadOnlyDictionary<string, long> Weights,
    IReadOnlyDictionary<string, JsonElement> Args)
{
    public IReadOnlyList<string> this[ExtensionPoint point] => Points.TryGetValue(point, out var names) ? names : [];

    /// <summary>Every plugin that runs somewhere, in first-use order.</summary>
    public IReadOnlyList<string> PluginNames => [.. Points.Values.SelectMany(n => n).Distinct(StringComparer.Ordinal)];
}

/// <summary>
/// Upstream's per-profile plugin resolution: the default plugins merged with the profile's enabled and disabled
/// sets per extension point (<c>pkg/scheduler/apis/config/v1/default_plugins.go</c> mergePluginSet), then the
/// multiPoint plugins expanded to the points each implements (<c>framework/runtime/framework.go</c>
/// expandMultiPointPlugins), score weights (the Score point's over multiPoint's, 0 meaning 1) and the checks the
/// framework makes as it builds the profile.
/// </summary>
internal static class ProfileResolver
{
    /// <summary>The Score point's weight; a total that could overflow a node's score is refused, as upstream.</summary>
    private const long MaxTotalScore = long.MaxValue;

    private sealed record Merged(List<(PluginEntry Entry, string? Path)> Enabled, HashSet<string> Disabled);

    public static string PointName(ExtensionPoint point) => point switch
    {
        ExtensionPoint.MultiPoint => "multiPoint",
        ExtensionPoint.PreFilter => "preFilter",
        ExtensionPoint.Filter => "filter",
        ExtensionPoint.PostFilter => "postFilter",
        ExtensionPoint.PreScore => "preScore",
        ExtensionPoint.Score => "score",
        ExtensionPoint.Reserve => "reserve",
        ExtensionPoint.Permit => "permit",
        ExtensionPoint.PreBind => "preBind",
        ExtensionPoint.Bind => "bind",
        _ => point.ToString(),
    };

    public static ResolvedProfile? Resolve(ProfileConfiguration profile, string path, int globalPercentage, PluginRegistry registry, List<string> errors)
    {
        var before = errors.Count;
        var pluginsPath = $"{path}.plugins";
        CheckNames(profile, pluginsPath, registry, errors);
        var args = PluginArgs(profile, path, registry, errors);
        if (errors.Count > before)
        {
            return null;
        }

        var merged = new Dictionary<ExtensionPoint, Merged>();
        foreach (var point in Enum.GetValues<ExtensionPoint>())
        {
            var defaults = point == ExtensionPoint.MultiPoint
                ? PluginRegistry.UpstreamDefaults.Where(p => registry.Find(p.Name) is not null).ToList()
                : [];
            merged[point] = Merge(defaults, profile.Plugins.GetValueOrDefault(point) ?? PluginSet.Empty, $"{pluginsPath}.{PointName(point)}");
        }

        var points = new Dictionary<ExtensionPoint, IReadOnlyList<string>>();
        foreach (var point in Enum.GetValues<ExtensionPoint>().Where(p => p != ExtensionPoint.MultiPoint))
        {
            points[point] = Expand(point, merged[point], merged[ExtensionPoint.MultiPoint], registry, errors);
        }

        CheckMultiPointDuplicates(merged[ExtensionPoint.MultiPoint], errors);
        var weights = Weights(merged, points[ExtensionPoint.Score], registry, pluginsPath, errors);
        if (points[ExtensionPoint.Bind].Count == 0)
        {
            errors.Add(FieldErrors.Required($"{pluginsPath}.bind", $"at least one bind plugin is needed for profile with scheduler name {FieldErrors.Quote(profile.SchedulerName)}"));
        }

        if (errors.Count > before)
        {
            return null;
        }

        var used = points.Values.SelectMany(n => n).ToHashSet(StringComparer.Ordinal);
        return new ResolvedProfile(
            profile.SchedulerName,
            profile.PercentageOfNodesToScore ?? globalPercentage,
            points,
            weights,
            args.Where(a => used.Contains(a.Key)).ToDictionary(StringComparer.Ordinal));
    }

    /// <summary>Names written in the profile's sets must be registered (enabled) or at least known (disabled); * only disables.</summary>
    private static void CheckNames(ProfileConfiguration profile, string pluginsPath, PluginRegistry registry, List<string> errors)
    {
        foreach (var (point, set) in profile.Plugins)
        {
            var pointPath = $"{pluginsPath}.{PointName(point)}";
            for (var i = 0; i < set.Enabled.Count; i++)
            {
                var entry = set.Enabled[i];
                var entryPath = $"{pointPath}.enabled[{i}]";
                if (Unregistered(entry.Name, registry) is { } why)
                {
                    errors.Add(FieldErrors.Invalid($"{entryPath}.name", entry.Name, why));
                    continue;
                }

                if (!registry.Find(entry.Name)!.Implements(point))
                {
                    errors.Add(FieldErrors.Invalid($"{entryPath}.name", entry.Name, $"plugin does not extend the {PointName(point)} extension point"));
                }

                if (entry.Weight is < 0)
                {
                    // Upstream takes a negative weight and turns the plugin's preference upside down; refused here.
                    errors.Add(FieldErrors.Invalid($"{entryPath}.weight", entry.Weight, "must not be negative (0 or none means 1)"));
                }
            }

            for (var i = 0; i < set.Disabled.Count; i++)
            {
                var name = set.Disabled[i];
                if (name != "*" && registry.Find(name) is null && !PluginRegistry.UpstreamNames.Contains(name))
                {
                    errors.Add(FieldErrors.Invalid($"{pointPath}.disabled[{i}].name", name, "no such plugin"));
                }
            }
        }
    }

    private static string? Unregistered(string name, PluginRegistry registry) =>
        name.Length == 0 ? "a plugin name is required"
        : name == "*" ? "* may only be disabled"
        : registry.Find(name) is not null ? null
        : PluginRegistry.UpstreamNames.Contains(name) ? "an upstream plugin that Kubesharp does not implement"
        : "no such plugin";

    /// <summary>pluginConfig: one entry per plugin; a registered plugin's args are decoded and checked now.</summary>
    private static Dictionary<string, JsonElement> PluginArgs(ProfileConfiguration profile, string path, PluginRegistry registry, List<string> errors)
    {
        var args = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < profile.PluginConfig.Count; i++)
        {
            var config = profile.PluginConfig[i];
            var configPath = $"{path}.pluginConfig[{i}]";
            if (!seen.Add(config.Name))
            {
                errors.Add(FieldErrors.Duplicate(configPath, config.Name));
                continue;
            }

            if (registry.Find(config.Name) is not { } registration)
            {
                // Upstream ignores args of plugins it does not run; a name it does not know is most likely a typo.
                if (!PluginRegistry.UpstreamNames.Contains(config.Name))
                {
                    errors.Add(FieldErrors.Invalid($"{configPath}.name", config.Name, "no such plugin"));
                }

                continue;
            }

            if (config.Args is not { } json)
            {
                continue;
            }

            var problems = registration.ValidateArgs(json);
            errors.AddRange(problems.Select(p => FieldErrors.Under($"{configPath}.args", p)));
            if (problems.Count == 0)
            {
                args[config.Name] = json;
            }
        }

        return args;
    }

    /// <summary>
    /// Upstream's mergePluginSet: the defaults not disabled (none with <c>*</c>) keep their order, a default enabled
    /// again is replaced in place by the written entry (its weight), then the other written entries follow.
    /// </summary>
    private static Merged Merge(IReadOnlyList<PluginEntry> defaults, PluginSet custom, string pointPath)
    {
        var disabled = new HashSet<string>(custom.Disabled, StringComparer.Ordinal);
        var written = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < custom.Enabled.Count; i++)
        {
            written[custom.Enabled[i].Name] = i;
        }

        var replaced = new HashSet<int>();
        var enabled = new List<(PluginEntry, string?)>();
        if (!disabled.Contains("*"))
        {
            foreach (var plugin in defaults)
            {
                if (disabled.Contains(plugin.Name))
                {
                    continue;
                }

                if (written.TryGetValue(plugin.Name, out var index))
                {
                    replaced.Add(index);
                    enabled.Add((custom.Enabled[index], $"{pointPath}.enabled[{index}]"));
                }
                else
                {
                    enabled.Add((plugin, null));
                }
            }
        }

        for (var i = 0; i < custom.Enabled.Count; i++)
        {
            if (!replaced.Contains(i))
            {
                enabled.Add((custom.Enabled[i], $"{pointPath}.enabled[{i}]"));
            }
        }

        return new Merged(enabled, disabled);
    }

    /// <summary>
    /// Upstream's expandMultiPointPlugins for one point: the point's own plugins that multiPoint also names keep
    /// their place first, then multiPoint's (unless disabled here), then the point's others; <c>*</c> at the point
    /// keeps multiPoint out. A plugin written twice at the point is refused.
    /// </summary>
    private static List<string> Expand(ExtensionPoint point, Merged own, Merged multiPoint, PluginRegistry registry, List<string> errors)
    {
        var specific = new List<string>();
        foreach (var (entry, path) in own.Enabled)
        {
            if (specific.Contains(entry.Name, StringComparer.Ordinal))
            {
                errors.Add(FieldErrors.Duplicate(path ?? PointName(point), entry.Name));
                continue;
            }

            specific.Add(entry.Name);
        }

        if (own.Disabled.Contains("*"))
        {
            return specific;
        }

        var overrides = new HashSet<string>(StringComparer.Ordinal);
        var fromMultiPoint = new List<string>();
        foreach (var (entry, _) in multiPoint.Enabled)
        {
            if (!registry.Find(entry.Name)!.Implements(point) || own.Disabled.Contains(entry.Name))
            {
                continue;
            }

            if (specific.Contains(entry.Name, StringComparer.Ordinal))
            {
                overrides.Add(entry.Name);
            }
            else if (!fromMultiPoint.Contains(entry.Name, StringComparer.Ordinal))
            {
                fromMultiPoint.Add(entry.Name);
            }
        }

        return [.. specific.Where(overrides.Contains), .. fromMultiPoint, .. specific.Where(n => !overrides.Contains(n))];
    }

    private static void CheckMultiPointDuplicates(Merged multiPoint, List<string> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entry, path) in multiPoint.Enabled)
        {
            if (!seen.Add(entry.Name))
            {
                errors.Add(FieldErrors.Duplicate(path ?? "multiPoint", entry.Name));
            }
        }
    }

    /// <summary>Upstream's getScoreWeights: the Score point's entries first, then multiPoint's; the first one named wins; 0 means 1.</summary>
    private static Dictionary<string, long> Weights(Dictionary<ExtensionPoint, Merged> merged, IReadOnlyList<string> scorers, PluginRegistry registry, string pluginsPath, List<string> errors)
    {
        var weights = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        foreach (var (entry, _) in merged[ExtensionPoint.Score].Enabled.Concat(merged[ExtensionPoint.MultiPoint].Enabled))
        {
            if (!registry.Find(entry.Name)!.Implements(ExtensionPoint.Score) || weights.ContainsKey(entry.Name))
            {
                continue;
            }

            var weight = entry.Weight is null or 0 ? 1 : (long)entry.Weight;
            weights[entry.Name] = weight;
            if (weight * Framework.Scores.MaxNodeScore > MaxTotalScore - total)
            {
                errors.Add(FieldErrors.Invalid($"{pluginsPath}.score", weight, "total score of Score plugins could overflow"));
                break;
            }

            total += weight * Framework.Scores.MaxNodeScore;
        }

        return scorers.ToDictionary(name => name, name => weights.GetValueOrDefault(name, 1), StringComparer.Ordinal);
    }
}
