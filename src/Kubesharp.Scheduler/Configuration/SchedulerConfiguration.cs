using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Configuration;

/// <summary>
/// A loaded, valid KubeSchedulerConfiguration: its settings and its profiles resolved to the plugins of each
/// extension point. Immutable; <see cref="CreateProfiles"/> builds fresh plugin instances on each call (one
/// scheduler term each), which is safe from any thread.
/// </summary>
public sealed class SchedulerConfiguration
{
    internal SchedulerConfiguration(KubeSchedulerConfiguration settings, IReadOnlyList<ResolvedProfile> profiles, PluginRegistry registry)
    {
        Settings = settings;
        Profiles = profiles;
        Registry = registry;
    }

    public KubeSchedulerConfiguration Settings { get; }

    public IReadOnlyList<ResolvedProfile> Profiles { get; }

    public PluginRegistry Registry { get; }

    /// <summary>The configuration of a file that says only its apiVersion and kind: upstream's defaults.</summary>
    public static SchedulerConfiguration Default(PluginRegistry? registry = null) =>
        SchedulerConfigurationLoader.Load($"apiVersion: {KubeSchedulerConfiguration.ApiVersion}\nkind: {KubeSchedulerConfiguration.KindName}\n", "(defaults)", registry);

    /// <summary>Builds each profile's plugins, one instance per plugin per profile shared by all its extension points, as upstream.</summary>
    public IReadOnlyList<Framework.Profile> CreateProfiles(PluginHandle handle) => [.. Profiles.Select(p => Create(p, handle))];

    /// <summary>
    /// The host's options with this configuration applied: leader election, the queue's back-off, and the profiles
    /// (the percentage of nodes to score is resolved per profile). What <paramref name="baseOptions"/> sets that a
    /// configuration cannot (identity, seed, metrics) is kept.
    /// </summary>
    public SchedulerHostOptions ToHostOptions(SchedulerHostOptions? baseOptions = null)
    {
        var options = baseOptions ?? new SchedulerHostOptions();
        var le = Settings.LeaderElection;
        return options with
        {
            LeaderElect = le.LeaderElect,
            LeaseNamespace = le.ResourceNamespace,
            LeaseName = le.ResourceName,
            LeaseDuration = le.LeaseDuration,
            RenewDeadline = le.RenewDeadline,
            RetryPeriod = le.RetryPeriod,
            Scheduler = options.Scheduler with
            {
                // Each profile carries its resolved percentage (its own, else the global one); 0 left here keeps an
                // explicit 0 in a profile adaptive, as upstream, instead of falling back to the global value.
                PercentageOfNodesToScore = 0,
                Queue = options.Scheduler.Queue with
                {
                    InitialBackoff = TimeSpan.FromSeconds(Settings.PodInitialBackoffSeconds),
                    MaxBackoff = TimeSpan.FromSeconds(Settings.PodMaxBackoffSeconds),
                },
            },
            Profiles = CreateProfiles,
        };
    }

    private Framework.Profile Create(ResolvedProfile resolved, PluginHandle handle)
    {
        var instances = new Dictionary<string, IPlugin>(StringComparer.Ordinal);
        foreach (var name in resolved.PluginNames)
        {
            var args = resolved.Args.TryGetValue(name, out var json) ? json : (System.Text.Json.JsonElement?)null;
            instances[name] = Registry.Find(name)!.Factory(handle, args);
        }

        IReadOnlyList<T> At<T>(ExtensionPoint point) => [.. resolved[point].Select(n => (T)instances[n])];
        var points = new ProfilePoints
        {
            PreFilters = At<IPreFilterPlugin>(ExtensionPoint.PreFilter),
            Filters = At<IFilterPlugin>(ExtensionPoint.Filter),
            PostFilters = At<IPostFilterPlugin>(ExtensionPoint.PostFilter),
            PreScores = At<IPreScorePlugin>(ExtensionPoint.PreScore),
            Scorers = At<IScorePlugin>(ExtensionPoint.Score),
            Reserves = At<IReservePlugin>(ExtensionPoint.Reserve),
            Permits = At<IPermitPlugin>(ExtensionPoint.Permit),
            PreBinds = At<IPreBindPlugin>(ExtensionPoint.PreBind),
            Binders = At<IBindPlugin>(ExtensionPoint.Bind),
        };
        return new Framework.Profile(resolved.SchedulerName, points, resolved.Weights, resolved.PercentageOfNodesToScore);
    }
}
