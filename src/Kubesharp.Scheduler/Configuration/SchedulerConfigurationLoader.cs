namespace Kubesharp.Scheduler.Configuration;

/// <summary>A configuration file that cannot be used: every problem found, each naming its field path.</summary>
public sealed class SchedulerConfigurationException(string source, IReadOnlyList<string> errors)
    : Exception($"invalid KubeSchedulerConfiguration {source}: {string.Join("; ", errors)}")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads a <c>kubescheduler.config.k8s.io/v1</c> KubeSchedulerConfiguration (YAML or JSON) as upstream's
/// <c>--config</c> does: strict decoding (unknown and repeated fields are errors), upstream's defaults, then
/// upstream's validation (<c>pkg/scheduler/apis/config/validation</c>) and the checks the framework makes when it
/// builds each profile (plugin names, extension points, duplicates, weights, a bind plugin). Every error is
/// collected, so that one run names them all. Stateless.
/// </summary>
public static class SchedulerConfigurationLoader
{
    public static SchedulerConfiguration LoadFile(string path, PluginRegistry? registry = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SchedulerConfigurationException(path, [e.Message]);
        }

        return Load(text, path, registry);
    }

    /// <summary>Decodes, defaults and validates <paramref name="yaml"/>; throws <see cref="SchedulerConfigurationException"/> naming every problem.</summary>
    public static SchedulerConfiguration Load(string yaml, string source = "(inline)", PluginRegistry? registry = null)
    {
        registry ??= PluginRegistry.CreateDefault();
        var (json, parseError) = YamlJson.Parse(yaml);
        if (parseError is not null)
        {
            throw new SchedulerConfigurationException(source, [parseError]);
        }

        var errors = new List<string>();
        // Validation runs on what decoded (the rest defaulted), so that one run names every problem.
        var settings = new ConfigurationDecoder(errors).Root(json);
        var decoded = errors.Count == 0;
        Validate(settings, errors);

        // The profiles are resolved when everything decoded: a half-read plugin list would only add confusing errors.
        var profiles = new List<ResolvedProfile>();
        if (decoded)
        {
            for (var i = 0; i < settings.Profiles.Count; i++)
            {
                if (ProfileResolver.Resolve(settings.Profiles[i], $"profiles[{i}]", settings.PercentageOfNodesToScore, registry, errors) is { } resolved)
                {
                    profiles.Add(resolved);
                }
            }
        }

        return errors.Count > 0 ? throw new SchedulerConfigurationException(source, errors) : new SchedulerConfiguration(settings, profiles, registry);
    }

    /// <summary>Upstream's ValidateKubeSchedulerConfiguration, for the fields Kubesharp reads.</summary>
    private static void Validate(KubeSchedulerConfiguration settings, List<string> errors)
    {
        var le = settings.LeaderElection;
        if (le.LeaderElect)
        {
            // component-base's ValidateLeaderElectionConfiguration, and the scheduler's own rule on the lock.
            Positive("leaderElection.leaseDuration", le.LeaseDuration);
            Positive("leaderElection.renewDeadline", le.RenewDeadline);
            Positive("leaderElection.retryPeriod", le.RetryPeriod);
            if (le.LeaseDuration <= le.RenewDeadline)
            {
                errors.Add(FieldErrors.Invalid("leaderElection.leaseDuration", le.RenewDeadline, "LeaseDuration must be greater than RenewDeadline"));
            }

            if (le.ResourceLock != "leases")
            {
                errors.Add(FieldErrors.Invalid("leaderElection.resourceLock", le.ResourceLock, "resourceLock value must be \"leases\""));
            }
        }

        Percentage("percentageOfNodesToScore", settings.PercentageOfNodesToScore);
        if (settings.PodInitialBackoffSeconds <= 0)
        {
            errors.Add(FieldErrors.Invalid("podInitialBackoffSeconds", settings.PodInitialBackoffSeconds, "must be greater than 0"));
        }

        if (settings.PodMaxBackoffSeconds < settings.PodInitialBackoffSeconds)
        {
            errors.Add(FieldErrors.Invalid("podMaxBackoffSeconds", settings.PodMaxBackoffSeconds, "must be greater than or equal to PodInitialBackoffSeconds"));
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < settings.Profiles.Count; i++)
        {
            var profile = settings.Profiles[i];
            var path = $"profiles[{i}]";
            if (profile.SchedulerName.Length == 0)
            {
                errors.Add(FieldErrors.Required($"{path}.schedulerName"));
            }
            else if (names.TryGetValue(profile.SchedulerName, out var first))
            {
                errors.Add($"{FieldErrors.Duplicate($"{path}.schedulerName", profile.SchedulerName)} (also profiles[{first}].schedulerName)");
            }
            else
            {
                names[profile.SchedulerName] = i;
            }

            if (profile.PercentageOfNodesToScore is { } percentage)
            {
                Percentage($"{path}.percentageOfNodesToScore", percentage);
            }
        }

        void Positive(string path, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add(FieldErrors.Invalid(path, value, "must be greater than zero"));
            }
        }

        void Percentage(string path, int value)
        {
            if (value is < 0 or > 100)
            {
                errors.Add(FieldErrors.Invalid(path, value, "not in valid range [0-100]"));
            }
        }
    }
}
