using System.Runtime.CompilerServices;
using k8s;
using k8s.Models;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Controllers.Common;

/// <summary>
/// An owner's label selector, parsed once per cached object (informers hand out a new object per change, so a
/// weak table keyed by the object is exact) and shared by every pod event that asks for it. An invalid selector
/// is reported once and selects nothing.
/// </summary>
internal sealed class SelectorCache<T>(Func<T, LabelSelector?> parse, Action<T, string> onInvalid)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConditionalWeakTable<T, Box> _parsed = [];

    public LabelSelector? Get(T owner) =>
        _parsed.GetValue(owner, o =>
        {
            try
            {
                return new Box(parse(o));
            }
            catch (StatusException e)
            {
                onInvalid(o, e.Message);
                return new Box(null);
            }
        }).Selector;

    private sealed record Box(LabelSelector? Selector);
}
