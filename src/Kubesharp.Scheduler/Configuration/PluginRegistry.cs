using System.Text.Json;
using System.Text.Json.Serialization;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.DefaultBinder;
using Kubesharp.Scheduler.Plugins.DefaultPreemption;
using Kubesharp.Scheduler.Plugins.ImageLocality;
using Kubesharp.Scheduler.Plugins.InterPodAffinity;
using Kubesharp.Scheduler.Plugins.NodeAffinity;
using Kubesharp.Scheduler.Plugins.NodeName;
using Kubesharp.Scheduler.Plugins.NodePorts;
using Kubesharp.Scheduler.Plugins.NodeResourcesBalancedAllocation;
using Kubesharp.Scheduler.Plugins.NodeResourcesFit;
using Kubesharp.Scheduler.Plugins.NodeUnschedulable;
using Kubesharp.Scheduler.Plugins.PodTopologySpread;
using Kubesharp.Scheduler.Plugins.TaintToleration;

namespace Kubesharp.Scheduler.Configuration;

/// <summary>Builds one plugin of a profile from the handle and its <c>pluginConfig</c> args (null: the plugin's defaults).</summary>
public delegate IPlugin PluginFactory(PluginHandle handle, JsonElement? args);

/// <summary>
/// The plugins a configuration may name (upstream's in-tree registry): name to factory, the plugin's type (which
/// extension points it implements, known before it is built) and the check of its args, run when the
/// configuration is loaded so that bad args stop the process before anything starts. Add a plugin with
/// <see cref="Add{TPlugin, TArgs}"/>; which registered plugins are on by default, in which order and with which
/// weight, follows upstream (<see cref="UpstreamDefaults"/>). Not thread-safe while being filled; read-only after.
/// </summary>
public sealed class PluginRegistry
{
    /// <summary>
    /// Upstream v1.32's default multiPoint plugins, in order, with their score weights (getDefaultPlugins). A
    /// registered name is on by default at every point its type implements; the others are upstream plugins
    /// Kubesharp does not have yet.
    /// </summary>
    public static IReadOnlyList<PluginEntry> UpstreamDefaults { get; } =
    [
        new("SchedulingGates"),
        new("PrioritySort"),
        new(NodeUnschedulable.PluginName),
        new(NodeName.PluginName),
        new(TaintToleration.PluginName, 3),
        new(NodeAffinity.PluginName, 2),
        new(NodePorts.PluginName),
        new(NodeResourcesFit.PluginName, 1),
        new("VolumeRestrictions"),
        new("NodeVolumeLimits"),
        new("VolumeBinding"),
        new("VolumeZone"),
        new(PodTopologySpread.PluginName, 2),
        new(InterPodAffinity.PluginName, 2),
        new(DefaultPreemption.PluginName),
        new(NodeResourcesBalancedAllocation.PluginName, 1),
        new(ImageLocality.PluginName, 1),
        new(DefaultBinder.PluginName),
    ];

    /// <summary>Every in-tree plugin name upstream knows: named but not registered, it is refused as unimplemented rather than unknown.</summary>
    public static IReadOnlySet<string> UpstreamNames { get; } = new HashSet<string>(
        UpstreamDefaults.Select(p => p.Name).Concat(["DynamicResources", "EBSLimits", "GCEPDLimits", "AzureDiskLimits", "CinderLimits"]),
        StringComparer.Ordinal);

    /// <summary>How a registered plugin's args are decoded: System.Text.Json's web defaults, enums by name, unknown fields refused.</summary>
    public static JsonSerializerOptions ArgsJson { get; } = CreateArgsJson();

    private readonly Dictionary<string, Registration> _plugins = new(StringComparer.Ordinal);

    /// <summary>A registered plugin: its type, its factory, and the check of its args (errors relative to <c>args</c>).</summary>
    public sealed record Registration(string Name, Type PluginType, PluginFactory Factory, Func<JsonElement, IReadOnlyList<string>> ValidateArgs)
    {
        /// <summary>Whether the plugin implements <paramref name="point"/> (<see cref="ExtensionPoint.MultiPoint"/>: always).</summary>
        public bool Implements(ExtensionPoint point) => point switch
        {
            ExtensionPoint.MultiPoint => true,
            ExtensionPoint.PreFilter => typeof(IPreFilterPlugin).IsAssignableFrom(PluginType),
            ExtensionPoint.Filter => typeof(IFilterPlugin).IsAssignableFrom(PluginType),
            ExtensionPoint.PostFilter => typeof(IPostFilterPlugin).IsAssignableFrom(PluginType),
            ExtensionPoint.PreScore => typeof(IPreScorePlugin).IsAssignableFrom(PluginType),
            ExtensionPoint.Score => typeof(IScorePlugin).IsAssignableFrom(PluginType),
            ExtensionPoint.Reserve => typeof(IReservePlugin).IsAssignableFrom(PluginType),
            ExtensionPoint.Permit => typeof(IPermitPlugin).IsAssignableFrom(PluginType),
            ExtensionPoint.PreBind => typeof(IPreBindPlugin).IsAssignableFrom(PluginType),
            ExtensionPoint.Bind => typeof(IBindPlugin).IsAssignableFrom(PluginType),
            _ => false,
        };
    }

    /// <summary>Kubesharp's plugins, as upstream registers them.</summary>
    public static PluginRegistry CreateDefault() => new PluginRegistry()
        .Add(NodeUnschedulable.PluginName, _ => new NodeUnschedulable())
        .Add(NodeName.PluginName, _ => new NodeName())
        .Add(TaintToleration.PluginName, _ => new TaintToleration())
        .Add<NodeAffinity, NodeAffinityArgs>(NodeAffinity.PluginName, (_, args) => new NodeAffinity(args?.AddedAffinity), args => args.Validate())
        .Add(NodePorts.PluginName, _ => new NodePorts())
        .Add<NodeResourcesFit, NodeResourcesFitConfig>(NodeResourcesFit.PluginName, (_, args) => new NodeResourcesFit((args ?? new()).ToArgs()), args => args.Validate())
        .Add<NodeResourcesBalancedAllocation, NodeResourcesBalancedAllocationConfig>(NodeResourcesBalancedAllocation.PluginName, (_, args) => new NodeResourcesBalancedAllocation((args ?? new()).ToResources()), args => args.Validate())
        .Add<PodTopologySpread, PodTopologySpreadArgs>(PodTopologySpread.PluginName, (handle, args) => new PodTopologySpread(handle, args), args => args.Validate())
        .Add<InterPodAffinity, InterPodAffinityArgs>(InterPodAffinity.PluginName, (handle, args) => new InterPodAffinity(handle, args), args => args.Validate())
        .Add<DefaultPreemption, DefaultPreemptionArgs>(DefaultPreemption.PluginName, (handle, args) => new DefaultPreemption(handle, args), args => args.Validate())
        .Add(ImageLocality.PluginName, _ => new ImageLocality())
        .Add(DefaultBinder.PluginName, handle => new DefaultBinder(handle.Client));

    public IReadOnlyCollection<string> Names => _plugins.Keys;

    public Registration? Find(string name) => _plugins.GetValueOrDefault(name);

    /// <summary>A plugin without args: any <c>args</c> written for it are refused.</summary>
    public PluginRegistry Add<TPlugin>(string name, Func<PluginHandle, TPlugin> factory)
        where TPlugin : IPlugin =>
        Add(name, typeof(TPlugin), (handle, _) => factory(handle), args => IsEmpty(args) ? [] : ["Invalid value: the plugin takes no args"]);

    /// <summary>
    /// A plugin with args: <typeparamref name="TArgs"/> is decoded from the <c>args</c> JSON with <see cref="ArgsJson"/>
    /// (null when none are written: the plugin's defaults) and checked by <paramref name="validate"/>, whose errors
    /// (e.g. <c>defaultConstraints[0].maxSkew: ...</c>) are reported under the args' path.
    /// </summary>
    public PluginRegistry Add<TPlugin, TArgs>(string name, Func<PluginHandle, TArgs?, TPlugin> factory, Func<TArgs, IEnumerable<string>>? validate = null)
        where TPlugin : IPlugin
        where TArgs : class =>
        Add(
            name,
            typeof(TPlugin),
            (handle, args) => factory(handle, args is { } json && !IsEmpty(json) ? json.Deserialize<TArgs>(ArgsJson) : null),
            args =>
            {
                TArgs? decoded;
                try
                {
                    decoded = args.Deserialize<TArgs>(ArgsJson);
                }
                catch (JsonException e)
                {
                    return [DescribeJsonError(e)];
                }

                return decoded is null || validate is null ? [] : [.. validate(decoded)];
            });

    /// <summary>The general form: the factory receives the raw args JSON.</summary>
    public PluginRegistry Add(string name, Type pluginType, PluginFactory factory, Func<JsonElement, IReadOnlyList<string>> validateArgs)
    {
        if (!typeof(IPlugin).IsAssignableFrom(pluginType))
        {
            throw new ArgumentException($"{pluginType.Name} is not a scheduler plugin", nameof(pluginType));
        }

        if (!_plugins.TryAdd(name, new Registration(name, pluginType, factory, validateArgs)))
        {
            throw new ArgumentException($"plugin {name} is already registered", nameof(name));
        }

        return this;
    }

    private static bool IsEmpty(JsonElement args) =>
        args.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined || (args.ValueKind == JsonValueKind.Object && !args.EnumerateObject().Any());

    private static string DescribeJsonError(JsonException e)
    {
        // System.Text.Json's path ends at the offending property ($.a.b); an unmapped one is an unknown field.
        var path = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
        if (e.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return $"{path ?? "?"}: unknown field";
        }

        return path is null ? $"Invalid value: {e.Message}" : $"{path}: Invalid value: {e.Message}";
    }

    private static JsonSerializerOptions CreateArgsJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            Converters = { new JsonStringEnumConverter() },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
