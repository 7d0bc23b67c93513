using System.Collections.Frozen;
using Kubesharp.Api.Patch;
using Kubesharp.Api.Patch.Schema;

namespace Kubesharp.Api.Schema.Models;

/// <summary>
/// <c>x-kubernetes-patch-strategy</c> and <c>x-kubernetes-patch-merge-key</c> of the model properties, taken
/// from the same tables the server's strategic merge patch uses (<c>Kubesharp.Api.Patch.Schema</c>), joined on
/// the definition name. kubectl 1.32 computes its apply patches from these extensions, so the client and the
/// server agree on every list by construction: a list the tables do not merge is replaced on both sides.
/// </summary>
internal static class PatchExtensions
{
    private static readonly FrozenDictionary<(string Type, string Field), PatchField> Fields = Collect();

    /// <summary>The extensions of a field: patch strategy, merge key, and list type where the tables imply one.</summary>
    public static (string? Strategy, string? MergeKey, string? ListType) For(string definition, string field)
    {
        if (!Fields.TryGetValue((definition, field), out var f))
        {
            return (null, null, null);
        }

        var strategy = f.Strategy switch
        {
            PatchStrategy.Merge => f.RetainKeys ? "merge,retainKeys" : "merge",
            PatchStrategy.Replace => "replace",
            _ => f.RetainKeys ? "retainKeys" : null,
        };
        // A merged list of scalars is a set upstream (finalizers, podCIDRs); the keys of merged lists of objects
        // are not always their merge key (ports are keyed on port and protocol), so those carry no list type.
        var listType = f is { Strategy: PatchStrategy.Merge, MergeKey: null } ? "set" : null;
        return (strategy, f.MergeKey, listType);
    }

    private static FrozenDictionary<(string, string), PatchField> Collect()
    {
        var fields = new Dictionary<(string, string), PatchField>();
        var seen = new HashSet<PatchType>();
        var roots = CoreV1PatchTypes.Kinds.Concat(AppsV1PatchTypes.Kinds).Concat(BatchV1PatchTypes.Kinds).Select(k => k.Root);
        var pending = new Stack<PatchType>(roots);
        while (pending.TryPop(out var type))
        {
            if (!seen.Add(type))
            {
                continue;
            }

            foreach (var field in type.Fields)
            {
                if (field.Strategy != PatchStrategy.Default || field.RetainKeys)
                {
                    fields[(type.Name, field.Name)] = field;
                }

                if (field.Type is { } next)
                {
                    pending.Push(next);
                }
            }
        }

        return fields.ToFrozenDictionary();
    }
}
