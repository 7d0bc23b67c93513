using Kubesharp.Api.Schema;

namespace Kubesharp.Api.Canonical;

/// <summary>What a node of a <see cref="TimePlan"/> stands for.</summary>
internal enum TimePlanShape
{
    Object,
    Array,
    Map,

    /// <summary>A <c>metav1.Time</c> field: RFC 3339 in whole seconds.</summary>
    Time,

    /// <summary>A <c>metav1.MicroTime</c> field: six fractional digits.</summary>
    MicroTime,
}

/// <summary>
/// The part of a kind's schema that leads to its time fields, and nothing else: an object node lists only the
/// properties below which a time field can be, so that a walk of an object touches a handful of values however
/// large the object is. Built once per kind from the built-in schemas (<see cref="ApiSchema"/> nodes with
/// <c>format: date-time</c>), then immutable and shared between threads.
/// </summary>
internal sealed class TimePlan
{
    public static readonly TimePlan TimeLeaf = new(TimePlanShape.Time);
    public static readonly TimePlan MicroTimeLeaf = new(TimePlanShape.MicroTime);

    private TimePlan(TimePlanShape shape) => Shape = shape;

    public TimePlanShape Shape { get; }

    public bool IsLeaf => Shape is TimePlanShape.Time or TimePlanShape.MicroTime;

    /// <summary>An object's properties that lead to time fields, in the schema's order.</summary>
    public (string Name, TimePlan Plan)[] Fields { get; private set; } = [];

    /// <summary>The element of an array, or the value of every key of a map.</summary>
    public TimePlan? Element { get; private set; }

    /// <summary>
    /// On a kind's root: the JSON names of its time fields, in UTF-8, with their type, null for a name that is a Time in one place and a MicroTime in another. Null when some time
    /// has no name of its own (a map of times): then the keys cannot tell where the times are.
    /// </summary>
    public (byte[] Key, TimePlanShape? Shape)[]? Keys { get; private set; }

    /// <summary>The plan of a kind's schema; null when no time field can be reached from it.</summary>
    /// <param name="isMicroTime">Whether a property (by its owner's definition name and its JSON name) is a <c>metav1.MicroTime</c>.</param>
    public static TimePlan? For(ApiSchema schema, Func<string?, string, bool> isMicroTime) => new Builder(isMicroTime).Build(schema);

    /// <summary>
    /// Builds every node reachable from a schema (objects once each, so that cycles such as JSONSchemaProps end),
    /// then keeps the nodes from which a time field can be reached, found as a fixed point because of the cycles.
    /// </summary>
    private sealed class Builder(Func<string?, string, bool> isMicroTime)
    {
        private readonly Dictionary<ApiSchema, TimePlan> _objects = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<TimePlan, List<(string Name, TimePlan Plan)>> _fields = new(ReferenceEqualityComparer.Instance);

        public TimePlan? Build(ApiSchema schema)
        {
            var root = Node(schema, micro: false);
            if (root is null)
            {
                return null;
            }

            var relevant = new HashSet<TimePlan>(ReferenceEqualityComparer.Instance) { TimeLeaf, MicroTimeLeaf };
            var all = new List<TimePlan>();
            Collect(root, all, new HashSet<TimePlan>(ReferenceEqualityComparer.Instance));
            for (var changed = true; changed;)
            {
                changed = false;
                foreach (var node in all)
                {
                    if (!relevant.Contains(node) && (node.Element is { } e ? relevant.Contains(e) : FieldsOf(node).Any(f => relevant.Contains(f.Plan))))
                    {
                        relevant.Add(node);
                        changed = true;
                    }
                }
            }

            foreach (var (node, fields) in _fields)
            {
                node.Fields = [.. fields.Where(f => relevant.Contains(f.Plan))];
            }

            if (!relevant.Contains(root))
            {
                return null;
            }

            root.Keys = KeysOf(all);
            return root;
        }

        private static (byte[] Key, TimePlanShape? Shape)[]? KeysOf(List<TimePlan> all)
        {
            var names = new Dictionary<string, TimePlanShape?>(StringComparer.Ordinal);
            foreach (var node in all)
            {
                if (node.Shape == TimePlanShape.Map && node.Element!.IsLeaf)
                {
                    return null;
                }

                foreach (var (name, child) in node.Fields)
                {
                    var leaf = child.IsLeaf ? child : child.Shape == TimePlanShape.Array && child.Element!.IsLeaf ? child.Element : null;
                    if (leaf is not null)
                    {
                        names[name] = names.TryGetValue(name, out var seen) && seen != leaf.Shape ? null : leaf.Shape;
                    }
                }
            }

            return [.. names.Select(n => (System.Text.Encoding.UTF8.GetBytes(n.Key), n.Value))];
        }

        private List<(string Name, TimePlan Plan)> FieldsOf(TimePlan node) =>
            _fields.TryGetValue(node, out var fields) ? fields : [];

        private void Collect(TimePlan node, List<TimePlan> all, HashSet<TimePlan> seen)
        {
            if (node.IsLeaf || !seen.Add(node))
            {
                return;
            }

            all.Add(node);
            if (node.Element is { } element)
            {
                Collect(element, all, seen);
            }

            foreach (var (_, child) in FieldsOf(node))
            {
                Collect(child, all, seen);
            }
        }

        /// <summary>The node of a value of <paramref name="schema"/>; null for values that hold no time (scalars, free JSON).</summary>
        private TimePlan? Node(ApiSchema schema, bool micro)
        {
            switch (schema.Shape)
            {
                case SchemaShape.String when schema.Format == "date-time":
                    return micro ? MicroTimeLeaf : TimeLeaf;
                case SchemaShape.Array or SchemaShape.Map when schema.Items is { } items:
                    return Node(items, micro) is { } element
                        ? new TimePlan(schema.Shape == SchemaShape.Array ? TimePlanShape.Array : TimePlanShape.Map) { Element = element }
                        : null;
                case SchemaShape.Object:
                    if (_objects.TryGetValue(schema, out var known))
                    {
                        return known;
                    }

                    var node = new TimePlan(TimePlanShape.Object);
                    _objects[schema] = node;
                    var fields = new List<(string Name, TimePlan Plan)>();
                    _fields[node] = fields;
                    foreach (var property in schema.Properties)
                    {
                        if (Node(property.Schema, isMicroTime(schema.Name, property.Name)) is { } child)
                        {
                            fields.Add((property.Name, child));
                        }
                    }

                    return node;
                default:
                    return null;
            }
        }
    }
}
