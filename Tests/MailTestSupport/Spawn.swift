import Foundation

/// Starting helper programs for the tests with posix_spawn and waitpid: Foundation's `Process` misses the exit of a
/// child that forks a daemon (Dovecot) in this test runner, and a pipe kept open by such a daemon never ends, so
/// output always goes through a file.
enum Spawn {
    /// Starts `arguments[0]` with stdin from /dev/null and stdout and stderr into the file `output`.
    static func start(_ arguments: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw SetupError("cannot start \(arguments[0]): error \(spawned)") }
        return pid
    }

    /// Waits for the program to end; true when it exited with status 0.
    static func wait(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7f) == 0 && (status >> 8) & 0xff == 0
    }

    /// Stops a helper started with ``start(_:output:)``.
    static func stop(_ pid: pid_t) {
        kill(pid, SIGKILL)
        _ = wait(pid)
    }

    /// The port a helper announces with a `PORT <n>` line in its output; throws (and stops it) after 10 s.
    static func announcedPort(_ pid: pid_t, output: String, what: String) throws -> Int {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: output, encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }), let port = Int(line.dropFirst(5)) {
                return port
            }
            usleep(50_000)
        }
        stop(pid)
        throw SetupError("\(what) did not start: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
    }
}
