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
        // Upstream's aggregate error puts several causes in brackets.
        Assert.StartsWith("Pod \"p\" is invalid: [spec.containers: Required value, metadata.name: Invalid value", e.Message, StringComparison.Ordinal);
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
}
