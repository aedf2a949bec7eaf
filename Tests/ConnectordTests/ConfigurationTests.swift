import AfterHours
import AfterHoursCapture
import AsteriskAMI
import Configuration
@testable import Connectord
import CRMCore
import Foundation
import Testing

@Suite struct ConfigurationTests {
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("connectord-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func environmentOverridesTheFileWhichOverridesTheDefaults() async throws {
        let path = try file("http:\n  port: 9001\n  host: 0.0.0.0\ncrm:\n  defaultCountry: RU\n  ownDomains: [ours.example, ours.ru]\n")
        let configuration = try await ConnectordConfiguration.load(filePath: path, environment: ["CONNECTORD_HTTP_PORT": "9002"])
        #expect(configuration.httpPort == 9002) // environment
        #expect(configuration.httpHost == "0.0.0.0") // file
        #expect(configuration.storePath == "./var/connectord.sqlite") // default
        #expect(configuration.policy.phones.defaultCountry == "RU")
        #expect(configuration.policy.ownDomains == ["ours.example", "ours.ru"])
        // Hummingbird reads the same values through the shared reader.
        #expect(configuration.reader.scoped(to: "http").int(forKey: "port") == 9002)
    }

    @Test func listsComeCommaSeparatedFromTheEnvironment() async throws {
        let configuration = try await ConnectordConfiguration.load(filePath: nil, environment: ["CONNECTORD_CRM_BLOCKED_DOMAINS": "a.example, b.example"])
        #expect(configuration.policy.blockedDomains == ["a.example", "b.example"])
    }

    @Test func aWrongTypeInTheFileNamesTheKeyAndTheFile() async throws {
        let path = try file("http:\n  port: [1, 2]\n")
        await #expect { try await ConnectordConfiguration.load(filePath: path, environment: [:]) } throws: { error in
            (error as? ConnectordConfigError)?.description == "configuration error: http.port: expected a whole number (from \(path))"
        }
        let notYAML = try file("http: [unclosed\n")
        await #expect { try await ConnectordConfiguration.load(filePath: notYAML, environment: [:]) } throws: { error in
            (error as? ConnectordConfigError)?.key == "config"
        }
    }

    @Test func secretsAreReferencesResolvedAtStartAndNeverEchoed() throws {
        let pasted = "s3cr3t-value"
        do {
            _ = try SecretReference(parsing: pasted, key: "ami.secret")
            Issue.record("an inline secret was accepted")
        } catch let error as ConnectordConfigError {
            #expect(!error.description.contains(pasted))
            #expect(error.description.contains("env:VARIABLE or file:/path"))
        }
        #expect(try SecretReference(parsing: "env:AMI_SECRET", key: "ami.secret").resolve(key: "ami.secret", environment: ["AMI_SECRET": pasted]) == pasted)
        let path = try file(pasted + "\n")
        #expect(try SecretReference(parsing: "file:" + path, key: "ami.secret").resolve(key: "ami.secret") == pasted)
        #expect(throws: ConnectordConfigError.self) { try SecretReference(parsing: "env:MISSING", key: "k").resolve(key: "k", environment: [:]) }
        #expect(String(describing: try SecretReference(parsing: "env:AMI_SECRET", key: "k")) == "env:AMI_SECRET")
    }

    @Test func thePBXSectionIsCheckedAtStartAndOffWithoutAHost() async throws {
        #expect(try await ConnectordConfiguration.load(filePath: nil, environment: [:]).pbx == nil)
        let path = try file("""
            ami:
              host: pbx.example
              username: connectord
              secret: env:AMI_SECRET
              pbxId: hq
              devices: [SIP/150010001=201, "PJSIP/desk-7 = 207"]
              extensions: ["210"]
            """)
        let pbx = try #require(try await ConnectordConfiguration.load(filePath: path, environment: [:]).pbx)
        #expect(pbx.port == 5038 && pbx.authentication == .md5 && pbx.pbxId == "hq")
        #expect(pbx.devices == ["SIP/150010001": "201", "PJSIP/desk-7": "207"] && pbx.extensions == ["210"])
        #expect(pbx.channel(forExtension: "201") == "PJSIP/201")
        #expect(pbx.secret.description == "env:AMI_SECRET")

        func refusal(_ environment: [String: String]) async -> String? {
            do {
                _ = try await ConnectordConfiguration.load(filePath: nil, environment: ["CONNECTORD_AMI_HOST": "pbx.example"].merging(environment) { $1 })
                return nil
            } catch let error as ConnectordConfigError { return error.description } catch { return "\(error)" }
        }
        #expect(await refusal(["CONNECTORD_AMI_SECRET": "env:S"]) == "configuration error: ami.username: required when ami.host is set")
        let pasted = await refusal(["CONNECTORD_AMI_USERNAME": "u", "CONNECTORD_AMI_SECRET": "hunter2"])
        #expect(pasted?.contains("ami.secret") == true && pasted?.contains("hunter2") == false)
        #expect(await refusal(["CONNECTORD_AMI_USERNAME": "u", "CONNECTORD_AMI_SECRET": "env:S", "CONNECTORD_AMI_DEVICES": "201"])
                == "configuration error: ami.devices: '201' is not DEVICE=EXTENSION (for example SIP/150010001=201)")
        #expect(await refusal(["CONNECTORD_AMI_USERNAME": "u", "CONNECTORD_AMI_SECRET": "env:S", "CONNECTORD_AMI_AUTHENTICATION": "kerberos"])
                == "configuration error: ami.authentication: 'kerberos' is not md5 or plain")
        #expect(await refusal(["CONNECTORD_AMI_USERNAME": "u", "CONNECTORD_AMI_SECRET": "env:S", "CONNECTORD_AMI_PORT": "70000"])
                == "configuration error: ami.port: 70000 is not a TCP port")
    }

    @Test func theAfterHoursSectionIsReadAndCheckedAtStart() async throws {
        #expect(try await ConnectordConfiguration.load(filePath: nil, environment: [:]).afterHours == nil)
        let calendar = try file("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261003\nRRULE:FREQ=YEARLY\nEND:VEVENT\nEND:VCALENDAR\n")
        let path = try file("""
            crm:
              ownDomains: [ours.example]
            afterHours:
              webhookSecret: env:HOOK
              from: Info@Ours.example
              timeZone: Europe/Berlin
              schedule: [mon-fri 09:00-12:30, mon-fri 13:30-17:00]
              holidays: [2026-12-24]
              holidayCalendar: \(calendar)
              onCall: [alice@ours.example, bob@ours.example]
              onCallSince: 2026-11-02
              urgentRepeatMinutes: 0
            smtp:
              host: smtp.example
              secret: env:SMTP
            """)
        let settings = try #require(try await ConnectordConfiguration.load(filePath: path, environment: [:]).afterHours)
        let responder = settings.responder
        #expect(responder.from == "info@ours.example" && settings.smtp.username == "info@ours.example" && settings.smtp.port == 465)
        #expect(responder.policy.ownDomains == ["ours.example"] && responder.urgency.repeatWindow == nil)
        #expect(responder.hours.holidays == ["2026-12-24"] && responder.hours.yearlyHolidays == ["10-03"])
        #expect(responder.rota?.agent(at: Date(timeIntervalSince1970: 1_763_942_400)) == "bob@ours.example") // 2025-11-24: turns run back
        #expect(settings.webhookSecret?.description == "env:HOOK" && !settings.answersMailboxes)

        func refusal(_ environment: [String: String]) async -> String? {
            let base = ["CONNECTORD_AFTER_HOURS_WEBHOOK_SECRET": "env:HOOK", "CONNECTORD_AFTER_HOURS_FROM": "info@ours.example",
                        "CONNECTORD_SMTP_HOST": "smtp.example", "CONNECTORD_SMTP_SECRET": "env:SMTP"]
            do {
                _ = try await ConnectordConfiguration.load(filePath: nil, environment: base.merging(environment) { $1 })
                return nil
            } catch let error as ConnectordConfigError { return error.description } catch { return "\(error)" }
        }
        #expect(await refusal([:]) == nil)
        #expect(await refusal(["CONNECTORD_AFTER_HOURS_FROM": ""])?.hasPrefix("configuration error: afterHours.from: required") == true)
        #expect(await refusal(["CONNECTORD_SMTP_HOST": ""])?.hasPrefix("configuration error: smtp.host: required") == true)
        #expect(await refusal(["CONNECTORD_AFTER_HOURS_TIME_ZONE": "Mars/Olympus"])?.hasPrefix("configuration error: afterHours.timeZone:") == true)
        #expect(await refusal(["CONNECTORD_AFTER_HOURS_SCHEDULE": "weekdays 9-5"])?.hasPrefix("configuration error: afterHours.schedule:") == true)
        #expect(await refusal(["CONNECTORD_AFTER_HOURS_HOLIDAYS": "24.12.2026"])?.hasPrefix("configuration error: afterHours.holidays:") == true)
        #expect(await refusal(["CONNECTORD_AFTER_HOURS_HOLIDAY_CALENDAR": "/nonexistent.ics"]) == "configuration error: afterHours.holidayCalendar: cannot read /nonexistent.ics")
        #expect(await refusal(["CONNECTORD_AFTER_HOURS_ON_CALL": "alice@ours.example"])?.hasPrefix("configuration error: afterHours.onCallSince:") == true)
        #expect(await refusal(["CONNECTORD_AFTER_HOURS_MAILBOXES": "maybe"]) == "configuration error: afterHours.mailboxes: 'maybe' is not on or off")
        #expect(await refusal(["CONNECTORD_AFTER_HOURS_MAILBOXES": "on"]) == "configuration error: afterHours.mailboxes: on needs mail capture (mail.host and mail.accounts)")
        #expect(await refusal(["CONNECTORD_SMTP_SECRET": "oauth"]) == "configuration error: smtp.secret: oauth needs info@ours.example in google.accounts")
        let pasted = await refusal(["CONNECTORD_AFTER_HOURS_WEBHOOK_SECRET": "hunter2-hook"])
        #expect(pasted?.contains("afterHours.webhookSecret") == true && pasted?.contains("hunter2-hook") == false)
    }

    @Test func environmentNamesFollowSwiftConfigurationsEncoding() {
        #expect(ConfigSchema.environmentName(of: "http.port") == "CONNECTORD_HTTP_PORT")
        #expect(ConfigSchema.environmentName(of: "crm.ownDomains") == "CONNECTORD_CRM_OWN_DOMAINS")
        #expect(ConfigSchema.suggestion(for: "crm.defaultCountyr") == "crm.defaultCountry")
        #expect(ConfigSchema.suggestion(for: "completely.different.thing") == nil)
    }
}
