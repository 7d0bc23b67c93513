using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// The bindings of one scope (all ClusterRoleBindings, or the RoleBindings of one namespace) indexed by
/// the subjects they name, so that resolving a user's rules looks only at the bindings that can apply
/// to them instead of scanning every binding. Candidates come back in the order the bindings were given,
/// each with the first of its subjects that applies, as upstream's <c>appliesTo</c> picks it for the
/// decision's reason. Immutable and thread-safe.
/// </summary>
internal sealed class RbacBindingIndex<TBinding>
    where TBinding : class
{
    private readonly TBinding[] _bindings;
    private readonly IList<Rbacv1Subject>?[] _subjects;
    private readonly string _bindingNamespace;
    private readonly Dictionary<string, List<int>> _byUserName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _byGroup = new(StringComparer.Ordinal);

    public RbacBindingIndex(IReadOnlyList<TBinding> bindings, Func<TBinding, IList<Rbacv1Subject>?> subjectsOf, string bindingNamespace)
    {
        _bindings = bindings.ToArray();
        _subjects = new IList<Rbacv1Subject>?[_bindings.Length];
        _bindingNamespace = bindingNamespace;
        for (var i = 0; i < _bindings.Length; i++)
        {
            var subjects = subjectsOf(_bindings[i]);
            _subjects[i] = subjects;
            if (subjects is null)
            {
                continue;
            }

            foreach (var subject in subjects)
            {
                switch (subject.Kind)
                {
                    case SubjectKinds.User:
                        Add(_byUserName, subject.Name ?? "", i);
                        break;
                    case SubjectKinds.Group:
                        Add(_byGroup, subject.Name ?? "", i);
                        break;
                    case SubjectKinds.ServiceAccount:
                        // A service account subject of a RoleBinding without a namespace means the binding's
                        // namespace; in a ClusterRoleBinding it matches nobody (upstream's appliesToUser).
                        var saNamespace = string.IsNullOrEmpty(subject.NamespaceProperty) ? bindingNamespace : subject.NamespaceProperty;
                        if (saNamespace.Length > 0)
                        {
                            Add(_byUserName, UserInfo.ServiceAccountPrefix + saNamespace + ":" + subject.Name, i);
                        }

                        break;
                    default:
                        // Unknown kinds never apply.
                        break;
                }
            }
        }
    }

    public int Count => _bindings.Length;

    /// <summary>Adds to <paramref name="into"/> the bindings that apply to <paramref name="user"/>, in binding order.</summary>
    public void CollectApplying(UserInfo user, List<(TBinding Binding, Rbacv1Subject Subject)> into)
    {
        var indexes = new List<int>();
        if (_byUserName.TryGetValue(user.Name, out var byName))
        {
            indexes.AddRange(byName);
        }

        foreach (var group in user.Groups)
        {
            if (_byGroup.TryGetValue(group, out var byGroup))
            {
                indexes.AddRange(byGroup);
            }
        }

        if (indexes.Count == 0)
        {
            return;
        }

        indexes.Sort();
        var previous = -1;
        foreach (var i in indexes)
        {
            if (i == previous)
            {
                continue;
            }

            previous = i;
            foreach (var subject in _subjects[i]!)
            {
                if (AppliesTo(user, subject, _bindingNamespace))
                {
                    into.Add((_bindings[i], subject));
                    break;
                }
            }
        }
    }

    /// <summary>Upstream's <c>appliesToUser</c>.</summary>
    public static bool AppliesTo(UserInfo user, Rbacv1Subject subject, string bindingNamespace)
    {
        switch (subject.Kind)
        {
            case SubjectKinds.User:
                return user.Name == subject.Name;
            case SubjectKinds.Group:
                return user.InGroup(subject.Name ?? "");
            case SubjectKinds.ServiceAccount:
                var saNamespace = string.IsNullOrEmpty(subject.NamespaceProperty) ? bindingNamespace : subject.NamespaceProperty;
                return saNamespace.Length > 0
                    && user.Name.Length == UserInfo.ServiceAccountPrefix.Length + saNamespace.Length + 1 + (subject.Name?.Length ?? 0)
                    && user.Name == UserInfo.ServiceAccountPrefix + saNamespace + ":" + subject.Name;
            default:
                return false;
        }
    }

    private static void Add(Dictionary<string, List<int>> index, string key, int bindingIndex)
    {
        if (!index.TryGetValue(key, out var list))
        {
            list = [];
            index[key] = list;
        }

        // A binding naming the same subject twice is indexed once.
        if (list.Count == 0 || list[^1] != bindingIndex)
        {
            list.Add(bindingIndex);
        }
    }
}
