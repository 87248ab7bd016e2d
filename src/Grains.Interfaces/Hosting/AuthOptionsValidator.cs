using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AuthCluster.Grains.Interfaces.Hosting;

/// <summary>Validates every nested section (data annotations do not recurse) and the cross-field rules.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var errors = new List<string>();
        foreach (var (section, value) in new (string, object)[]
        {
            ("Auth", options), ("Auth:Signing", options.Signing), ("Auth:Tokens", options.Tokens),
            ("Auth:Passwords", options.Passwords), ("Auth:Throttling", options.Throttling),
            ("Auth:Sessions", options.Sessions), ("Auth:PasswordReset", options.PasswordReset),
        })
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
            errors.AddRange(results.Select(r => $"{section}: {r.ErrorMessage}"));
        }

        if (!SigningOptions.SupportedAlgorithms.Contains(options.Signing.Algorithm))
        {
            errors.Add($"Auth:Signing:Algorithm must be one of {string.Join(", ", SigningOptions.SupportedAlgorithms)}.");
        }

        if (options.Throttling.BaseDelay > options.Throttling.MaxDelay)
        {
            errors.Add("Auth:Throttling:BaseDelay must not exceed MaxDelay.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
