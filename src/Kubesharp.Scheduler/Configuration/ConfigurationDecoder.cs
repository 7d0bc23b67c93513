using System.Text.Json;
using Kubesharp.Api;

namespace Kubesharp.Scheduler.Configuration;

/// <summary>Strict decoding with upstream's defaults: each problem is recorded with its path, decoding goes on.</summary>
internal sealed class ConfigurationDecoder(List<string> errors)
{
    private static readonly string[] RootFields =
    [
        "apiVersion", "kind", "parallelism", "leaderElection", "clientConnection", "percentageOfNodesToScore",
        "podInitialBackoffSeconds", "podMaxBackoffSeconds", "profiles", "extenders", "enableProfiling",
        "enableContentionProfiling", "delayCacheUntilActive",
    ];

    private static readonly string[] LeaderElectionFields = ["leaderElect", "leaseDuration", "renewDeadline", "retryPeriod", "resourceLock", "resourceName", "resourceNamespace"];
    private static readonly string[] ClientConnectionFields = ["kubeconfig", "acceptContentTypes", "contentType", "qps", "burst"];
    private static readonly string[] ProfileFields = ["schedulerName", "percentageOfNodesToScore", "plugins", "pluginConfig"];
    private static readonly string[] PluginSetFields = ["enabled", "disabled"];
    private static readonly string[] PluginFields = ["name", "weight"];
    private static readonly string[] PluginConfigFields = ["name", "args"];

    /// <summary>The extension points of <c>plugins</c> upstream has and Kubesharp runs no plugin at: accepted only empty.</summary>
    private static readonly string[] UnsupportedPoints = ["preEnqueue", "queueSort", "postBind"];

    public KubeSchedulerConfiguration Root(JsonElement root)
    {
        var settings = new KubeSchedulerConfiguration();
        if (!Object(root, "", RootFields))
        {
            return settings;
        }

        var apiVersion = String(root, "apiVersion", "");
        if (apiVersion != KubeSchedulerConfiguration.ApiVersion)
        {
            errors.Add(apiVersion is null
                ? FieldErrors.Required("apiVersion", $"must be {KubeSchedulerConfiguration.ApiVersion}")
                : FieldErrors.NotSupported("apiVersion", apiVersion, [KubeSchedulerConfiguration.ApiVersion]));
        }

        var kind = String(root, "kind", "");
        if (kind != KubeSchedulerConfiguration.KindName)
        {
            errors.Add(kind is null ? FieldErrors.Required("kind", $"must be {KubeSchedulerConfiguration.KindName}") : FieldErrors.NotSupported("kind", kind, [KubeSchedulerConfiguration.KindName]));
        }

        if (Int(root, "parallelism", "") is <= 0 and var parallelism)
        {
            errors.Add(FieldErrors.Invalid("parallelism", parallelism, "should be an integer value greater than zero"));
        }

        Bool(root, "enableProfiling", "");
        Bool(root, "enableContentionProfiling", "");
        Bool(root, "delayCacheUntilActive", "");
        if (Field(root, "extenders") is { ValueKind: not JsonValueKind.Null } extenders && (extenders.ValueKind != JsonValueKind.Array || extenders.GetArrayLength() > 0))
        {
            errors.Add(FieldErrors.Forbidden("extenders", "scheduler extenders are not supported by Kubesharp"));
        }

        string? kubeconfig = null;
        if (Field(root, "clientConnection") is { ValueKind: not JsonValueKind.Null } connection && Object(connection, "clientConnection", ClientConnectionFields))
        {
            kubeconfig = String(connection, "kubeconfig", "clientConnection");
            String(connection, "acceptContentTypes", "clientConnection");
            String(connection, "contentType", "clientConnection");
            Number(connection, "qps", "clientConnection");
            Int(connection, "burst", "clientConnection");
        }

        var profiles = new List<ProfileConfiguration>();
        var listed = Array(root, "profiles", "");
        foreach (var (item, path) in listed)
        {
            profiles.Add(Profile(item, path, defaultName: listed.Count == 1));
        }

        return settings with
        {
            PercentageOfNodesToScore = Int(root, "percentageOfNodesToScore", "") ?? 0,
            PodInitialBackoffSeconds = Long(root, "podInitialBackoffSeconds", "") ?? 1,
            PodMaxBackoffSeconds = Long(root, "podMaxBackoffSeconds", "") ?? 10,
            LeaderElection = LeaderElection(Field(root, "leaderElection")),
            Kubeconfig = string.IsNullOrEmpty(kubeconfig) ? null : kubeconfig,
            Profiles = profiles.Count == 0 ? [new ProfileConfiguration()] : profiles,
        };
    }

    private LeaderElectionConfiguration LeaderElection(JsonElement? element)
    {
        var defaults = new LeaderElectionConfiguration();
        const string Path = "leaderElection";
        if (element is not { ValueKind: not JsonValueKind.Null } le || !Object(le, Path, LeaderElectionFields))
        {
            return defaults;
        }

        return new LeaderElectionConfiguration
        {
            LeaderElect = Bool(le, "leaderElect", Path) ?? defaults.LeaderElect,
            LeaseDuration = Duration(le, "leaseDuration", Path) ?? defaults.LeaseDuration,
            RenewDeadline = Duration(le, "renewDeadline", Path) ?? defaults.RenewDeadline,
            RetryPeriod = Duration(le, "retryPeriod", Path) ?? defaults.RetryPeriod,
            ResourceLock = NonEmpty(String(le, "resourceLock", Path)) ?? defaults.ResourceLock,
            ResourceName = NonEmpty(String(le, "resourceName", Path)) ?? defaults.ResourceName,
            ResourceNamespace = NonEmpty(String(le, "resourceNamespace", Path)) ?? defaults.ResourceNamespace,
        };
    }

    private ProfileConfiguration Profile(JsonElement element, string path, bool defaultName)
    {
        // Upstream names the profile default-scheduler only when it is the only one.
        var profile = new ProfileConfiguration { SchedulerName = defaultName ? DefaultProfiles.SchedulerName : "" };
        if (!Object(element, path, ProfileFields))
        {
            return profile;
        }

        var plugins = new Dictionary<ExtensionPoint, PluginSet>();
        if (Field(element, "plugins") is { ValueKind: not JsonValueKind.Null } written)
        {
            var pluginsPath = $"{path}.plugins";
            var fields = Enum.GetValues<ExtensionPoint>().Select(PointName).Concat(UnsupportedPoints).ToArray();
            if (Object(written, pluginsPath, fields))
            {
                foreach (var point in Enum.GetValues<ExtensionPoint>())
                {
                    if (Field(written, PointName(point)) is { ValueKind: not JsonValueKind.Null } set)
                    {
                        plugins[point] = PluginSet(set, $"{pluginsPath}.{PointName(point)}");
                    }
                }

                foreach (var name in UnsupportedPoints)
                {
                    if (Field(written, name) is { ValueKind: not JsonValueKind.Null } set && PluginSet(set, $"{pluginsPath}.{name}").Enabled.Count > 0)
                    {
                        errors.Add(FieldErrors.Forbidden($"{pluginsPath}.{name}.enabled", $"Kubesharp runs no plugins at {name}"));
                    }
                }
            }
        }

        var configs = new List<PluginConfig>();
        foreach (var (item, itemPath) in Array(element, "pluginConfig", path))
        {
            if (!Object(item, itemPath, PluginConfigFields))
            {
                continue;
            }

            var name = String(item, "name", itemPath) ?? "";
            configs.Add(new PluginConfig(name, Args(Field(item, "args"), name, $"{itemPath}.args")));
        }

        return profile with
        {
            SchedulerName = String(element, "schedulerName", path) ?? profile.SchedulerName,
            PercentageOfNodesToScore = Int(element, "percentageOfNodesToScore", path),
            Plugins = plugins,
            PluginConfig = configs,
        };
    }

    /// <summary>The args without the <c>apiVersion</c> and <c>kind</c> that upstream's written configurations carry.</summary>
    private JsonElement? Args(JsonElement? args, string plugin, string path)
    {
        if (args is not { ValueKind: JsonValueKind.Object } obj)
        {
            if (args is { ValueKind: not JsonValueKind.Null })
            {
                errors.Add(FieldErrors.Invalid(path, args.Value.ValueKind.ToString().ToLowerInvariant(), "must be an object"));
            }

            return null;
        }

        if (obj.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String && kind.GetString() != plugin + "Args")
        {
            errors.Add(FieldErrors.Invalid($"{path}.kind", kind.GetString(), $"has to match plugin args {plugin}Args"));
        }

        if (obj.TryGetProperty("apiVersion", out var version) && version.GetString() != KubeSchedulerConfiguration.ApiVersion)
        {
            errors.Add(FieldErrors.NotSupported($"{path}.apiVersion", version.GetString(), [KubeSchedulerConfiguration.ApiVersion]));
        }

        var stripped = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            if (property.Name is not ("apiVersion" or "kind"))
            {
                stripped[property.Name] = property.Value.Clone();
            }
        }

        return JsonSerializer.SerializeToElement(stripped);
    }

    private PluginSet PluginSet(JsonElement element, string path)
    {
        if (!Object(element, path, PluginSetFields))
        {
            return Configuration.PluginSet.Empty;
        }

        var enabled = new List<PluginEntry>();
        foreach (var (item, itemPath) in Array(element, "enabled", path))
        {
            if (Object(item, itemPath, PluginFields))
            {
                enabled.Add(new PluginEntry(String(item, "name", itemPath) ?? "", Int(item, "weight", itemPath)));
            }
        }

        var disabled = new List<string>();
        foreach (var (item, itemPath) in Array(element, "disabled", path))
        {
            if (Object(item, itemPath, PluginFields))
            {
                disabled.Add(String(item, "name", itemPath) ?? "");
            }
        }

        return new PluginSet(enabled, disabled);
    }

    public static string PointName(ExtensionPoint point) => ProfileResolver.PointName(point);

    private static JsonElement? Field(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) ? value : null;

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private bool Object(JsonElement element, string path, string[] fields)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(path.Length == 0 ? "the document must be a mapping" : FieldErrors.Invalid(path, element.ValueKind.ToString().ToLowerInvariant(), "must be an object"));
            return false;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (!fields.Contains(property.Name, StringComparer.Ordinal))
            {
                errors.Add(FieldErrors.Unknown(Join(path, property.Name)));
            }
        }

        return true;
    }

    private List<(JsonElement Item, string Path)> Array(JsonElement obj, string name, string path)
    {
        var items = new List<(JsonElement, string)>();
        if (Field(obj, name) is not { ValueKind: not JsonValueKind.Null } value)
        {
            return items;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(FieldErrors.Invalid(Join(path, name), value.ValueKind.ToString().ToLowerInvariant(), "must be a list"));
            return items;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            items.Add((item, $"{Join(path, name)}[{i++}]"));
        }

        return items;
    }

    private string? String(JsonElement obj, string name, string path)
    {
        var value = Field(obj, name);
        if (value is not { ValueKind: not JsonValueKind.Null } v)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            errors.Add(FieldErrors.Invalid(Join(path, name), v, "must be a string"));
            return null;
        }

        return v.GetString();
    }

    private bool? Bool(JsonElement obj, string name, string path)
    {
        var value = Field(obj, name);
        switch (value?.ValueKind)
        {
            case null or JsonValueKind.Null:
                return null;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                errors.Add(FieldErrors.Invalid(Join(path, name), value.Value, "must be a boolean"));
                return null;
        }
    }

    private int? Int(JsonElement obj, string name, string path)
    {
        var value = Long(obj, name, path);
        if (value is < int.MinValue or > int.MaxValue)
        {
            errors.Add(FieldErrors.Invalid(Join(path, name), value, "must be a 32-bit integer"));
            return null;
        }

        return (int?)value;
    }

    private long? Long(JsonElement obj, string name, string path)
    {
        var value = Field(obj, name);
        if (value is not { ValueKind: not JsonValueKind.Null } v)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var number))
        {
            errors.Add(FieldErrors.Invalid(Join(path, name), v, "must be an integer"));
            return null;
        }

        return number;
    }

    private void Number(JsonElement obj, string name, string path)
    {
        if (Field(obj, name) is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Number) } v)
        {
            errors.Add(FieldErrors.Invalid(Join(path, name), v, "must be a number"));
        }
    }

    private TimeSpan? Duration(JsonElement obj, string name, string path)
    {
        var text = String(obj, name, path);
        if (text is null)
        {
            return null;
        }

        if (!GoDuration.TryParse(text, out var duration))
        {
            errors.Add(FieldErrors.Invalid(Join(path, name), text, "must be a duration such as 15s, 1m30s or 500ms"));
            return null;
        }

        return duration;
    }
}
