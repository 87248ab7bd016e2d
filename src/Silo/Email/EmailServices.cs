using System.Net.Mail;
using AuthCluster.Grains.Email;
using AuthCluster.Grains.Interfaces;
using AuthCluster.Grains.Interfaces.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AuthCluster.Silo.Email;

public static class EmailServices
{
    /// <summary>
    /// The email sender of the silo, chosen by <c>Email:Provider</c>. Development defaults to the pickup directory;
    /// anywhere else the provider must be configured, or the silo refuses to start — a service that answers 202 to
    /// reset requests must not silently drop the emails.
    /// </summary>
    public static IServiceCollection AddAuthEmail(this IServiceCollection services)
    {
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<EmailOptions>, EmailDevelopmentDefaults>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmailOptions>, EmailSettingsValidator>());
        services.TryAddSingleton<EmailDeliveryHealth>();
        services.TryAddSingleton<IEmailDeliveryHealth>(sp => sp.GetRequiredService<EmailDeliveryHealth>());
        services.TryAddSingleton<SendGridEmailSender>();
        services.TryAddSingleton<PickupDirectoryEmailSender>();
        services.TryAddSingleton<IEmailSender>(sp => new CountedEmailSender(sp.GetRequiredService<IOptions<EmailOptions>>().Value.IsSendGrid
            ? sp.GetRequiredService<SendGridEmailSender>()
            : sp.GetRequiredService<PickupDirectoryEmailSender>()));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, PasswordResetResumer>();
        return services;
    }
}

/// <summary>In Development, with no provider configured, emails go to the pickup directory.</summary>
internal sealed class EmailDevelopmentDefaults(IHostEnvironment environment) : IConfigureOptions<EmailOptions>
{
    public void Configure(EmailOptions options)
    {
        if (environment.IsDevelopment())
        {
            options.Provider ??= EmailOptions.PickupProvider;
            options.From ??= "AuthCluster <no-reply@localhost>";
        }
    }
}

internal sealed class EmailSettingsValidator : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        var errors = new List<string>();
        if (!options.IsSendGrid && !options.IsPickup)
        {
            errors.Add("Email:Provider must be SendGrid or Pickup (it defaults to Pickup only in Development).");
        }

        if (!TryParseFrom(options.From, out _))
        {
            errors.Add("Email:From must be a sender address such as 'Shop <no-reply@shop.example>'.");
        }

        if (options.IsSendGrid && string.IsNullOrWhiteSpace(options.SendGrid.ApiKey))
        {
            errors.Add("Email:SendGrid:ApiKey is required when Email:Provider is SendGrid.");
        }

        if (!string.IsNullOrWhiteSpace(options.SendGrid.Host)
            && !(Uri.TryCreate(options.SendGrid.Host, UriKind.Absolute, out var host) && host.Scheme is "https" or "http"))
        {
            errors.Add("Email:SendGrid:Host must be an absolute http(s) URL.");
        }

        if (options.SendGrid.Timeout <= TimeSpan.Zero)
        {
            errors.Add("Email:SendGrid:Timeout must be positive.");
        }

        if (options.IsPickup && string.IsNullOrWhiteSpace(options.PickupDirectory))
        {
            errors.Add("Email:PickupDirectory is required when Email:Provider is Pickup.");
        }

        if (options.Retry.InitialDelay <= TimeSpan.Zero || options.Retry.MaxDelay < options.Retry.InitialDelay)
        {
            errors.Add("Email:Retry: InitialDelay must be positive and MaxDelay at least InitialDelay.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static MailAddress ParseFrom(string? from) =>
        TryParseFrom(from, out var address) ? address : throw new InvalidOperationException("Email:From is not a valid sender address.");

    private static bool TryParseFrom(string? from, out MailAddress address)
    {
        address = null!;
        return !string.IsNullOrWhiteSpace(from) && !from.Any(char.IsControl) && MailAddress.TryCreate(from, out address!);
    }
}

/// <summary>
/// When the silo becomes active, asks the outbox to drive every live reset. Single-node modes keep reminders in
/// memory, so after a restart this is what resumes the emails that were pending when the node went down.
/// </summary>
internal sealed partial class PasswordResetResumer(IGrainFactory grains, ILogger<PasswordResetResumer> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PasswordResetResumer), ServiceLifecycleStage.Active, OnStart, OnStop);

    private Task OnStart(CancellationToken cancellationToken)
    {
        // In the background: a slow or unavailable storage must not hold up the silo's start.
        _ = Task.Run(ResumeAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private Task OnStop(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    private async Task ResumeAsync()
    {
        for (var attempt = 1; attempt <= 5 && !_stopping.IsCancellationRequested; attempt++)
        {
            try
            {
                await grains.GetGrain<IPasswordResetOutboxGrain>(0).Resume();
                return;
            }
            catch (Exception exception) when (!_stopping.IsCancellationRequested)
            {
                LogResumeFailed(logger, exception.GetType().Name, attempt);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2 * attempt), _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resuming pending password reset emails failed ({ExceptionType}), attempt {Attempt}; the outbox reminder retries")]
    private static partial void LogResumeFailed(ILogger logger, string exceptionType, int attempt);
}
