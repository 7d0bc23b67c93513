namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Upstream's union authorizer: asks each authorizer in order and returns the first Allow or Deny, with
/// its reason; when none has an opinion, the answer is NoOpinion with the non-empty reasons joined by
/// newlines (the API server then refuses the request with 403). <see cref="RulesFor"/> unions the rules
/// of the members that can list them. Immutable and thread-safe when its members are.
/// </summary>
internal sealed class AuthorizerChain(params IAuthorizer[] authorizers) : IAuthorizer, ISubjectRulesResolver
{
    public AuthorizationDecision Authorize(RequestAttributes attributes)
    {
        List<string>? reasons = null;
        foreach (var authorizer in authorizers)
        {
            var decision = authorizer.Authorize(attributes);
            if (decision.Outcome is AuthorizationOutcome.Allow or AuthorizationOutcome.Deny)
            {
                return decision;
            }

            if (decision.Reason.Length > 0)
            {
                (reasons ??= []).Add(decision.Reason);
            }
        }

        return AuthorizationDecision.NoOpinion(reasons is null ? "" : string.Join('\n', reasons));
    }

    public SubjectRules RulesFor(UserInfo user, string @namespace) =>
        SubjectRules.Union(authorizers.OfType<ISubjectRulesResolver>().Select(r => r.RulesFor(user, @namespace)));
}
