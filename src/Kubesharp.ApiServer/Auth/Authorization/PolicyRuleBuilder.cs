using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Builds a <see cref="V1PolicyRule"/> as upstream's <c>rbacv1helpers.NewRule(...).Groups(...).Resources(...).RuleOrDie()</c>
/// does, so the bootstrap policy reads like upstream's: the lists come out sorted, and a rule that
/// upstream would refuse (no verbs; neither resources nor URLs; resources without groups; URLs with
/// resources; names with list, watch, create or deletecollection) throws, since that is a bug in the
/// policy's source. Not thread-safe; build and discard.
/// </summary>
internal sealed class PolicyRuleBuilder
{
    private readonly List<string> _verbs;
    private readonly List<string> _groups = [];
    private readonly List<string> _resources = [];
    private readonly List<string> _names = [];
    private readonly List<string> _urls = [];

    private PolicyRuleBuilder(string[] verbs)
    {
        _verbs = [.. verbs];
    }

    public static implicit operator V1PolicyRule(PolicyRuleBuilder builder) => builder.ToV1PolicyRule();

    public static PolicyRuleBuilder Rule(params string[] verbs) => new(verbs);

    public PolicyRuleBuilder Groups(params string[] groups)
    {
        _groups.AddRange(groups);
        return this;
    }

    public PolicyRuleBuilder Resources(params string[] resources)
    {
        _resources.AddRange(resources);
        return this;
    }

    public PolicyRuleBuilder Names(params string[] names)
    {
        _names.AddRange(names);
        return this;
    }

    public PolicyRuleBuilder Urls(params string[] urls)
    {
        _urls.AddRange(urls);
        return this;
    }

    public V1PolicyRule ToV1PolicyRule()
    {
        if (_verbs.Count == 0)
        {
            throw new InvalidOperationException("verbs are required");
        }

        if (_urls.Count > 0)
        {
            if (_groups.Count > 0 || _resources.Count > 0 || _names.Count > 0)
            {
                throw new InvalidOperationException("non-resource rule may not have apiGroups, resources, or resourceNames");
            }
        }
        else if (_resources.Count > 0)
        {
            if (_groups.Count == 0)
            {
                throw new InvalidOperationException("resource rule must have apiGroups");
            }

            if (_names.Count > 0 && _verbs.Any(v => v is "list" or "watch" or "create" or "deletecollection"))
            {
                throw new InvalidOperationException("verbs list, watch, create and deletecollection do not have names available");
            }
        }
        else
        {
            throw new InvalidOperationException("a rule must have either nonResourceURLs or resources");
        }

        return new V1PolicyRule
        {
            Verbs = Sorted(_verbs)!,
            ApiGroups = Sorted(_groups),
            Resources = Sorted(_resources),
            ResourceNames = Sorted(_names),
            NonResourceURLs = Sorted(_urls),
        };
    }

    // Absent lists stay null, as upstream's omitempty fields read back.
    private static List<string>? Sorted(List<string> values) =>
        values.Count == 0 ? null : values.Order(StringComparer.Ordinal).ToList();
}
