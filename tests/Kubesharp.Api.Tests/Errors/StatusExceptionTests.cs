using System.Net;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Tests.Errors;

public sealed class StatusExceptionTests
{
    [Fact]
    public void Not_found_reads_as_upstream()
    {
        var e = StatusException.NotFound("apps", "deployments", "web");

        Assert.Equal(HttpStatusCode.NotFound, e.Code);
        Assert.Equal("NotFound", e.Reason);
        Assert.Equal("deployments.apps \"web\" not found", e.Message);
        Assert.Equal("web", e.Details!.Name);
    }

    [Fact]
    public void Core_resources_have_no_group_suffix()
    {
        Assert.Equal("pods \"p\" already exists", StatusException.AlreadyExists("", "pods", "p").Message);
    }

    [Fact]
    public void Invalid_lists_every_cause_with_its_field()
    {
        var e = StatusException.Invalid("", "Pod", "p",
        [
            new StatusCause("FieldValueRequired", "Required value", "spec.containers"),
            new StatusCause("FieldValueInvalid", "Invalid value: \"A\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters", "metadata.name"),
        ]);

        Assert.Equal(422, (int)e.Code);
        Assert.Equal("Invalid", e.Reason);
        Assert.StartsWith("Pod \"p\" is invalid: [spec.containers: Required value, metadata.name: Invalid value", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("]", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, e.Details!.Causes.Count);
    }

    [Fact]
    public void Unprocessable_patch_hides_its_cause_as_upstream_does()
    {
        var e = StatusException.UnprocessablePatch("testing value /metadata/resourceVersion failed");

        Assert.Equal(422, (int)e.Code);
        Assert.Equal("Invalid", e.Reason);
        Assert.Equal("the server rejected our request due to an error in our request", e.Message);
        Assert.Empty(e.Details!.Causes);
        Assert.Equal("testing value /metadata/resourceVersion failed", e.InnerException!.Message);
    }

    [Fact]
    public void Unclassified_errors_are_500_without_a_reason()
    {
        var e = StatusException.Unclassified("map: map[image:nginx] does not contain declared merge key: name");

        Assert.Equal(HttpStatusCode.InternalServerError, e.Code);
        Assert.Equal("", e.Reason);
        Assert.Equal("map: map[image:nginx] does not contain declared merge key: name", e.Message);
    }

    [Fact]
    public void Too_many_requests_carries_its_causes_and_a_retry_after_only_when_positive()
    {
        var blocked = StatusException.TooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0,
            [new StatusCause("DisruptionBudget", "The disruption budget web needs 2 healthy pods and has 2 currently", null)]);
        var later = StatusException.TooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10);

        Assert.Equal(429, (int)blocked.Code);
        Assert.Equal("TooManyRequests", blocked.Reason);
        Assert.Equal("DisruptionBudget", Assert.Single(blocked.Details!.Causes).Reason);
        Assert.Equal(0, blocked.Details.RetryAfterSeconds);
        Assert.Null(blocked.Headers);
        Assert.Equal(10, later.Details!.RetryAfterSeconds);
        Assert.Equal("10", later.Headers!["Retry-After"]);
    }

    [Fact]
    public void Forbidden_and_timeout_read_as_upstream()
    {
        var forbidden = StatusException.Forbidden("policy", "poddisruptionbudget", "web", "pdb disruptions allowed is negative");
        var timeout = StatusException.Timeout("couldn't update PodDisruptionBudget \"web\" due to conflicts", 10);

        Assert.Equal((HttpStatusCode.Forbidden, "Forbidden"), (forbidden.Code, forbidden.Reason));
        Assert.Equal("poddisruptionbudget.policy \"web\" is forbidden: pdb disruptions allowed is negative", forbidden.Message);
        Assert.Equal((HttpStatusCode.GatewayTimeout, "Timeout"), (timeout.Code, timeout.Reason));
        Assert.Equal("Timeout: couldn't update PodDisruptionBudget \"web\" due to conflicts", timeout.Message);
        Assert.Equal("10", timeout.Headers!["Retry-After"]);
    }
}
