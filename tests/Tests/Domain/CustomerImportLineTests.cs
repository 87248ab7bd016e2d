using AuthCluster.Grains.Domain;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Grains.Import;
using AuthCluster.Grains.Passwords;

namespace AuthCluster.Tests.Domain;

public sealed class CustomerImportLineTests
{
    private const string DjangoHash = "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";

    [Fact]
    public void TryParse_CompleteLine_ReadsEveryField()
    {
        var line = $$"""{"shop_id": 7, "email": " Ann.Lee@Example.COM ", "first_name": "Ann", "last_name": "Lee", "gender": "f", "password_hash": "{{DjangoHash}}", "created_at": "2021-03-04T05:06:07.5+02:00", "external_id": "cust-0042"}""";

        Assert.True(CustomerImportLine.TryParse(line, out var customer, out var problems));

        Assert.Empty(problems);
        Assert.Equal(7, customer.ShopId);
        Assert.Equal("Ann.Lee@Example.COM", customer.Email);
        Assert.Equal("Ann", customer.FirstName);
        Assert.Equal("Lee", customer.LastName);
        Assert.Equal("f", customer.Gender);
        Assert.Equal(ImportedHashKind.DjangoPbkdf2, customer.PasswordHash?.Kind);
        Assert.Equal(DjangoHash, customer.PasswordHash?.Value);
        Assert.Equal(new DateTimeOffset(2021, 3, 4, 3, 6, 7, 500, TimeSpan.Zero), customer.CreatedAt);
        Assert.Equal(TimeSpan.Zero, customer.CreatedAt?.Offset);
        Assert.Equal("cust-0042", customer.ExternalId);
    }

    [Theory]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B"}""")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "gender": null, "password_hash": null, "created_at": null, "external_id": null}""")]
    public void TryParse_OptionalFieldsAbsentOrNull_LeavesThemEmpty(string line)
    {
        Assert.True(CustomerImportLine.TryParse(line, out var customer, out var problems));

        Assert.Empty(problems);
        Assert.Null(customer.Gender);
        Assert.Null(customer.PasswordHash);
        Assert.Null(customer.CreatedAt);
        Assert.Null(customer.ExternalId);
    }

    [Fact]
    public void EmailIndexKey_IsTheKeyRegistrationUses()
    {
        Assert.True(CustomerImportLine.TryParse(
            """{"shop_id": 3, "email": "  MiXeD@Example.com", "first_name": "A", "last_name": "B"}""", out var customer, out _));

        Assert.Equal(EmailAddress.IndexKey(3, "mixed@example.com"), customer.EmailIndexKey);
    }

    [Theory]
    [InlineData("", "line", "valid JSON")]
    [InlineData("{\"shop_id\": 1,", "line", "valid JSON")]
    [InlineData("[1, 2]", "line", "JSON object")]
    [InlineData("\"just a string\"", "line", "JSON object")]
    public void TryParse_NotAJsonObject_ReportsTheLine(string line, string field, string messageMentions) =>
        AssertSingleProblem(line, field, messageMentions);

    [Fact]
    public void TryParse_OverlongLine_ReportsTheLine() =>
        AssertSingleProblem(
            $$"""{"shop_id": 1, "email": "a@example.com", "first_name": "{{new string('a', CustomerImportLine.MaxLineLength)}}", "last_name": "B"}""",
            "line",
            "longer");

    [Theory]
    [InlineData("""{"email": "a@example.com", "first_name": "A", "last_name": "B"}""", "shop_id", "required")]
    [InlineData("""{"shop_id": "1", "email": "a@example.com", "first_name": "A", "last_name": "B"}""", "shop_id", "positive integer")]
    [InlineData("""{"shop_id": 0, "email": "a@example.com", "first_name": "A", "last_name": "B"}""", "shop_id", "positive integer")]
    [InlineData("""{"shop_id": 1.5, "email": "a@example.com", "first_name": "A", "last_name": "B"}""", "shop_id", "positive integer")]
    [InlineData("""{"shop_id": 1, "first_name": "A", "last_name": "B"}""", "email", "required")]
    [InlineData("""{"shop_id": 1, "email": 42, "first_name": "A", "last_name": "B"}""", "email", "string")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "  ", "last_name": "B"}""", "first_name", "empty")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": null}""", "last_name", "required")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "gender": "x"}""", "gender", "m, f, d")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "password_hash": "$1$abc$def"}""", "password_hash", "accepted formats")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "password_hash": "$2b$31$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i"}""", "password_hash", "cost 31")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "created_at": "2021-03-04T05:06:07"}""", "created_at", "offset")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "created_at": "2021-03-04"}""", "created_at", "offset")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "created_at": "04/03/2021 05:06 +01:00"}""", "created_at", "offset")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "created_at": "2021-02-30T05:06:07Z"}""", "created_at", "offset")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "external_id": ""}""", "external_id", "empty")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "external_id": "a\u0000b"}""", "external_id", "control")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "external_id": 17}""", "external_id", "string")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "externalId": "17"}""", "externalId", "not a field")]
    [InlineData("""{"shop_id": 1, "email": "a@example.com", "email": "b@example.com", "first_name": "A", "last_name": "B"}""", "email", "more than once")]
    public void TryParse_OneBadField_NamesItWithAReason(string line, string field, string messageMentions) =>
        AssertSingleProblem(line, field, messageMentions);

    [Fact]
    public void TryParse_OverlongExternalId_NamesIt() =>
        AssertSingleProblem(
            $$"""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "external_id": "{{new string('7', 256)}}"}""",
            "external_id",
            "at most 255");

    [Fact]
    public void TryParse_ManyBadFields_ReportsEveryOne()
    {
        var line = """{"shop_id": -1, "first_name": "", "last_name": 5, "gender": "male", "password_hash": "md5:abc", "created_at": "yesterday", "external_id": " ", "extra": true}""";

        Assert.False(CustomerImportLine.TryParse(line, out var customer, out var problems));

        Assert.Null(customer);
        Assert.Equal(
            ["created_at", "email", "external_id", "extra", "first_name", "gender", "last_name", "password_hash", "shop_id"],
            problems.Select(p => p.Field).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TryParse_BadPasswordHash_ReasonDoesNotRepeatIt()
    {
        const string secretish = "pbkdf2_sha256$10$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";

        Assert.False(CustomerImportLine.TryParse(
            $$"""{"shop_id": 1, "email": "a@example.com", "first_name": "A", "last_name": "B", "password_hash": "{{secretish}}"}""",
            out _,
            out var problems));

        var problem = Assert.Single(problems);
        Assert.DoesNotContain("YlZ2Vggtqdc61", problem.Message, StringComparison.Ordinal);
    }

    private static void AssertSingleProblem(string line, string field, string messageMentions)
    {
        Assert.False(CustomerImportLine.TryParse(line, out var customer, out var problems));

        Assert.Null(customer);
        var problem = Assert.Single(problems);
        Assert.Equal(field, problem.Field);
        Assert.Contains(messageMentions, problem.Message, StringComparison.OrdinalIgnoreCase);
    }
}
