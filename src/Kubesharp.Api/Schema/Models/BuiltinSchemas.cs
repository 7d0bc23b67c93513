using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;
using k8s.Models;
using Kubesharp.Api.Resources;

namespace Kubesharp.Api.Schema.Models;

/// <summary>
/// The schemas of the built-in kinds, reflected from the typed models of the <c>KubernetesClient</c> package:
/// a kind's class is the one whose <c>[KubernetesEntity]</c> names its group, version and kind; its fields are
/// the <c>[JsonPropertyName]</c> properties; descriptions come from the package's XML documentation
/// (<see cref="ModelDocs"/>) and patch metadata from the server's patch tables (<see cref="PatchExtensions"/>).
/// </summary>
/// <remarks>
/// Thread-safe. A class's schema is built on first use with everything it reaches, under one lock, and
/// published complete; later calls read a frozen map. The models of the package are newer than v1.32, so a
/// field added upstream after v1.32 is known here too.
/// </remarks>
public sealed partial class BuiltinSchemas : IResourceSchemaSource
{
    private static readonly Lazy<FrozenDictionary<(string Group, string Version, string Kind), Type>> Entities = new(FindEntities);
    private static readonly Lazy<FrozenDictionary<Type, string>> Labels = new(AssignLabels);

    private readonly Lock _gate = new();
    private FrozenDictionary<Type, ApiSchema> _built = FrozenDictionary<Type, ApiSchema>.Empty;

    private BuiltinSchemas()
    {
    }

    /// <summary>The one instance; schemas are built once per process.</summary>
    public static BuiltinSchemas Instance { get; } = new();

    /// <summary>True when the package's XML documentation was found (descriptions are served).</summary>
    public static bool HasDescriptions => ModelDocs.Available;

    public ResourceSchema? SchemaFor(ResourceInfo resource)
    {
        var kind = ForKind(resource.Group, resource.Version, resource.Kind);
        var list = ForKind(resource.Group, resource.Version, resource.ListKind);
        return kind is null || list is null ? null : new ResourceSchema(kind, list, StrategicMergePatch: true);
    }

    /// <summary>The schema of a kind's class, or null when the package has no class for it.</summary>
    public ApiSchema? ForKind(string group, string version, string kind) =>
        Entities.Value.TryGetValue((group, version, kind), out var type) ? ForType(type) : null;

    /// <summary>The schema of a <c>meta/v1</c> type by its upstream name (<c>Status</c>, <c>DeleteOptions</c>, <c>APIResourceList</c>...).</summary>
    public ApiSchema Meta(string name) =>
        ForType(typeof(V1Pod).Assembly.GetType("k8s.Models.V1" + name) is { } t && DefinitionNames.IsMeta(t.Name)
            ? t
            : throw new ArgumentException($"no meta/v1 model named {name}", nameof(name)));

    /// <summary>The schema of one model class.</summary>
    public ApiSchema ForType(Type type)
    {
        if (_built.TryGetValue(type, out var schema))
        {
            return schema;
        }

        lock (_gate)
        {
            if (_built.TryGetValue(type, out schema))
            {
                return schema;
            }

            var building = new Dictionary<Type, ApiSchema>(_built);
            schema = new Builder(building).Build(type);
            _built = building.ToFrozenDictionary();
            return schema;
        }
    }

    /// <summary>The definition name of a model class (<c>io.k8s.api.core.v1.PodSpec</c>); null for classes outside the API.</summary>
    internal static string? DefinitionName(Type type)
    {
        if (type == typeof(IntOrString))
        {
            return DefinitionNames.IntOrString;
        }

        if (type == typeof(ResourceQuantity))
        {
            return DefinitionNames.Quantity;
        }

        if (DefinitionNames.Parse(type.Name) is not { } parsed)
        {
            return null;
        }

        var label = parsed.Label ?? (DefinitionNames.IsMeta(type.Name) ? "meta" : Labels.Value.GetValueOrDefault(type));
        return label is null ? null : DefinitionNames.Qualified(label, parsed.Version, parsed.Name);
    }

    private static FrozenDictionary<(string, string, string), Type> FindEntities() =>
        ModelTypes()
            .Select(t => (Type: t, Entity: t.GetCustomAttribute<KubernetesEntityAttribute>()))
            .Where(e => e.Entity is { Kind.Length: > 0 })
            .GroupBy(e => (e.Entity!.Group ?? "", e.Entity.ApiVersion ?? "", e.Entity.Kind!))
            .ToFrozenDictionary(g => g.Key, g => g.First().Type);

    /// <summary>
    /// The package of every class reachable from a kind: the group of the first kind of the class's own version
    /// that reaches it, else of the first kind at all, the kinds visited core first, then by group, version and
    /// kind (stable across runs). The version pass matters for the alpha types a v1 kind's newest fields use.
    /// </summary>
    private static FrozenDictionary<Type, string> AssignLabels()
    {
        var labels = new Dictionary<Type, string>();
        var roots = Entities.Value.OrderBy(e => e.Key.Group.Length == 0 ? 0 : 1).ThenBy(e => e.Key.Group, StringComparer.Ordinal)
            .ThenBy(e => e.Key.Version, StringComparer.Ordinal).ThenBy(e => e.Key.Kind, StringComparer.Ordinal).ToList();
        foreach (var sameVersionOnly in new[] { true, false })
        {
            foreach (var ((group, version, _), root) in roots)
            {
                var label = DefinitionNames.Label(group);
                var seen = new HashSet<Type>();
                var pending = new Stack<Type>([root]);
                while (pending.TryPop(out var type))
                {
                    if (!seen.Add(type))
                    {
                        continue;
                    }

                    if (!sameVersionOnly || DefinitionNames.Parse(type.Name)?.Version == version)
                    {
                        labels.TryAdd(type, label);
                    }

                    foreach (var (property, _) in JsonProperties(type))
                    {
                        if (ModelClass(property.PropertyType) is { } next)
                        {
                            pending.Push(next);
                        }
                    }
                }
            }
        }

        return labels.ToFrozenDictionary();
    }

    private static IEnumerable<Type> ModelTypes() =>
        typeof(V1Pod).Assembly.GetTypes().Where(t => t is { IsClass: true, IsPublic: true, IsAbstract: false, Namespace: "k8s.Models" });

    internal static IEnumerable<(PropertyInfo Property, string JsonName)> JsonProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, JsonName: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name))
            .Where(p => p.JsonName is not null)
            .Select(p => (p.Property, p.JsonName!));

    /// <summary>The model class a property leads to, through lists and maps; null for scalars.</summary>
    private static Type? ModelClass(Type type)
    {
        while (true)
        {
            if (ElementType(type) is { } element)
            {
                type = element;
                continue;
            }

            return type is { IsClass: true, Namespace: "k8s.Models" } && type.GetCustomAttribute<JsonConverterAttribute>() is null ? type : null;
        }
    }

    /// <summary>The element of a list or the value of a string-keyed map.</summary>
    internal static Type? ElementType(Type type)
    {
        if (type.IsArray && type != typeof(byte[]))
        {
            return type.GetElementType();
        }

        if (!type.IsGenericType)
        {
            return null;
        }

        var args = type.GetGenericArguments();
        var definition = type.GetGenericTypeDefinition();
        if (args.Length == 1 && (definition == typeof(IList<>) || definition == typeof(List<>) || definition == typeof(IEnumerable<>)
            || definition == typeof(ICollection<>) || definition == typeof(IReadOnlyList<>)))
        {
            return args[0];
        }

        return args.Length == 2 && IsMap(type) ? args[1] : null;
    }

    internal static bool IsMap(Type type) =>
        type.IsGenericType && type.GetGenericArguments() is [var key, _] && key == typeof(string)
        && (type.GetGenericTypeDefinition() == typeof(IDictionary<,>) || type.GetGenericTypeDefinition() == typeof(Dictionary<,>)
            || type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>));
}
