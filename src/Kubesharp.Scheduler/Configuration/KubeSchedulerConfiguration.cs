using System.Text.Json;

namespace Kubesharp.Scheduler.Configuration;

/// <summary>
/// The parts of upstream's <c>kubescheduler.config.k8s.io/v1</c> KubeSchedulerConfiguration that Kubesharp reads,
/// after defaulting (<see cref="SchedulerConfigurationLoader"/> decodes, defaults and validates a file into it).
/// </summary>
public sealed record KubeSchedulerConfiguration
{
    public const string ApiVersion = "kubescheduler.config.k8s.io/v1";
    public const string KindName = "KubeSchedulerConfiguration";

    /// <summary>0 is upstream's adaptive default; a profile's own value wins.</summary>
    public int PercentageOfNodesToScore { get; init; }

    public long PodInitialBackoffSeconds { get; init; } = 1;

    public long PodMaxBackoffSeconds { get; init; } = 10;

    public LeaderElectionConfiguration LeaderElection { get; init; } = new();

    /// <summary><c>clientConnection.kubeconfig</c>: where the scheduler finds its API server when no flag says so.</summary>
    public string? Kubeconfig { get; init; }

    public IReadOnlyList<ProfileConfiguration> Profiles { get; init; } = [new()];
}

/// <summary>Upstream's LeaderElectionConfiguration, with the scheduler's defaults.</summary>
public sealed record LeaderElectionConfiguration
{
    public bool LeaderElect { get; init; } = true;

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    public string ResourceLock { get; init; } = "leases";

    public string ResourceNamespace { get; init; } = "kube-system";

    public string ResourceName { get; init; } = "kube-scheduler";
}

/// <summary>One entry of <c>profiles</c>, as written (before the defaults are merged in).</summary>
public sealed record ProfileConfiguration
{
    public string SchedulerName { get; init; } = DefaultProfiles.SchedulerName;

    /// <summary>Null: the configuration's global value applies.</summary>
    public int? PercentageOfNodesToScore { get; init; }

    /// <summary>The plugin sets written per extension point; a point not written is absent.</summary>
    public IReadOnlyDictionary<ExtensionPoint, PluginSet> Plugins { get; init; } = new Dictionary<ExtensionPoint, PluginSet>();

    public IReadOnlyList<PluginConfig> PluginConfig { get; init; } = [];
}

/// <summary>The extension points a profile configures, in the order upstream lists them.</summary>
public enum ExtensionPoint
{
    MultiPoint,
    PreFilter,
    Filter,
    PostFilter,
    PreScore,
    Score,
    Reserve,
    Permit,
    PreBind,
    Bind,
}

/// <summary>Plugins enabled (in order, with a score weight; null when not written) and disabled (<c>*</c> for all defaults) at one point.</summary>
public sealed record PluginSet(IReadOnlyList<PluginEntry> Enabled, IReadOnlyList<string> Disabled)
{
    public static PluginSet Empty { get; } = new([], []);
}

public sealed record PluginEntry(string Name, int? Weight = null);

/// <summary>A <c>pluginConfig</c> entry: the plugin's args as JSON (<c>apiVersion</c> and <c>kind</c> removed), or null.</summary>
public sealed record PluginConfig(string Name, JsonElement? Args);
