using System.Net;
using GeventSharp.Http;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary><see cref="HttpRejection"/>: every reason has one status and one sentence, and the details fill the sentence.</summary>
public class HttpRejectionTests
{
    public static TheoryData<string> Reasons()
    {
        var data = new TheoryData<string>();
        foreach (RejectReason r in Enum.GetValues<RejectReason>())
        {
            data.Add(r.ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Reasons))]
    public void EveryReason_HasAClientErrorOrUnsupportedStatus_AndASentence(string reasonName)
    {
        RejectReason reason = Enum.Parse<RejectReason>(reasonName);
        (HttpStatusCode status, string sentence) = HttpRejection.Describe(reason);

        Assert.True((int)status is >= 400 and < 500 or 501 or 505, $"{reason}: {status}");
        Assert.EndsWith(".", sentence, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', sentence);
    }

    [Theory]
    [MemberData(nameof(Reasons))]
    public void TheException_CarriesTheReasonAndStatus_AndFillsEveryDetail(string reasonName)
    {
        RejectReason reason = Enum.Parse<RejectReason>(reasonName);
        HttpBadRequestException e = HttpRejection.Create(reason, "first", "second");

        Assert.Equal(reason, e.Reason);
        Assert.Equal((int)HttpRejection.Describe(reason).Status, e.StatusCode);
        Assert.DoesNotContain("{", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Details_AreFormattedInvariantly()
    {
        HttpBadRequestException e = HttpRejection.Create(RejectReason.ContentLengthTooLarge, 30_000_001L, 30_000_000L);

        Assert.Equal(413, e.StatusCode);
        Assert.Equal("The request body (30000001 bytes) is larger than the server accepts (30000000 bytes).", e.Message);
    }

    [Fact]
    public void AHandlersOwnException_HasNoReason()
        => Assert.Null(new HttpBadRequestException(404, "no such room").Reason);
}
