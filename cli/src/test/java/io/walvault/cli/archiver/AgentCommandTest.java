package io.walvault.cli.archiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.LocalTime;
import org.junit.jupiter.api.Test;

class AgentCommandTest {

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), AgentCommand.duration("--x", "500ms"));
        assertEquals(Duration.ofSeconds(3), AgentCommand.duration("--x", "3s"));
        assertEquals(Duration.ofSeconds(7), AgentCommand.duration("--x", "7"));
        assertEquals(Duration.ofMinutes(5), AgentCommand.duration("--x", "5m"));
        assertEquals(Duration.ofHours(24), AgentCommand.duration("--x", "24h"));
        assertEquals(Duration.ofDays(1), AgentCommand.duration("--x", "1d"));
        assertEquals(Duration.ofMinutes(90), AgentCommand.duration("--x", "PT1H30M"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentCommand.duration("--backup-every", "3 weeks"));
        assertEquals("--backup-every '3 weeks' is not a duration (500ms, 3s, 5m, 2h, 1d)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AgentCommand.duration("--x", "s"));
    }

    @Test
    void addressesAndTimesOfDay() {
        assertEquals(new InetSocketAddress("127.0.0.1", 9187), AgentCommand.address("127.0.0.1:9187"));
        assertEquals(9187, AgentCommand.address(":9187").getPort());
        assertThrows(IllegalArgumentException.class, () -> AgentCommand.address("localhost"));
        assertThrows(IllegalArgumentException.class, () -> AgentCommand.address("localhost:99999"));
        assertEquals(LocalTime.of(2, 30), AgentCommand.timeOfDay("02:30"));
        assertEquals(LocalTime.of(2, 30), AgentCommand.timeOfDay("2:30"));
        assertThrows(IllegalArgumentException.class, () -> AgentCommand.timeOfDay("25:00"));
    }
}
