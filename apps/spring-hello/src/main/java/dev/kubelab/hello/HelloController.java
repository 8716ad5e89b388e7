package dev.kubelab.hello;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.io.Resource;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The app's answers: its version and the pod that served the request, so a learner
 * sees which pod answered and which version is live (the same as apps/hello).
 */
@RestController
public class HelloController {

    /** The JSON answer of /api; a record keeps the fields in this order. */
    public record Answer(String message, String version, String pod) {
    }

    private final String message;
    private final String version;

    public HelloController(@Value("${MESSAGE:Hello from Spring Boot!}") String message,
                           @Value("classpath:VERSION") Resource versionFile) throws IOException {
        this.message = message;
        this.version = versionFile.getContentAsString(StandardCharsets.UTF_8).strip();
    }

    @GetMapping(path = "/api", produces = MediaType.APPLICATION_JSON_VALUE)
    public Answer api() {
        return new Answer(message, version, pod());
    }

    /** The same in one line of text, as apps/hello's / answers (the pipeline looks for version=...). */
    @GetMapping(path = "/", produces = MediaType.TEXT_PLAIN_VALUE)
    public String root() {
        return message + " version=" + version + " pod=" + pod() + "\n";
    }

    /** Kubernetes sets HOSTNAME to the pod's name. */
    static String pod() {
        String hostname = System.getenv("HOSTNAME");
        if (hostname != null && !hostname.isBlank()) {
            return hostname;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
