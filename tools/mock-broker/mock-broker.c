/*
 * Hosts librdkafka's in-process mock Kafka cluster as a standalone process so
 * kafkajs clients (tests, the dev stack, benchmarks) can talk to it over TCP.
 * Dev/test only: production uses a real broker through KAFKA_BROKERS.
 *
 * Protocol (line based, so a parent in any language can drive it):
 *   stdout, first line:  "bootstrap=<host:port,...>"  (the ports it listens on, random: the mock has no
 *                        fixed-port option)
 *   --advertise id=host:port  makes broker <id> advertise that address in Metadata and FindCoordinator
 *                        instead of its own: a proxy there can keep one address across broker replacements.
 *   stdin commands:      "topic <name> <partitions>"   -> "ok topic <name>" | "error <text>"
 *                        "quit"                         -> exits 0
 * Stdin reaching EOF also exits: when the parent dies, the broker dies with it, so no orphan keeps ports open.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rdkafka.h"
#include "rdkafka_mock.h"

/* Kafka protocol ApiKey for LeaveGroup. */
#define API_KEY_LEAVE_GROUP 13

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
        (void)sig;
        stop_requested = 1;
}

static void usage(const char *argv0) {
        fprintf(stderr,
                "usage: %s [--brokers N] [--topic name:partitions]... [--advertise id=host:port]...\n"
                "  Starts a librdkafka mock cluster, prints bootstrap=<list>,\n"
                "  then reads commands from stdin (topic <name> <n> | quit).\n",
                argv0);
}

static int create_topic(rd_kafka_mock_cluster_t *mc, const char *name,
                        int partitions) {
        rd_kafka_resp_err_t err;
        if (partitions < 1 || partitions > 1000) {
                printf("error partitions must be between 1 and 1000\n");
                fflush(stdout);
                return -1;
        }
        err = rd_kafka_mock_topic_create(mc, name, partitions, 1);
        if (err) {
                printf("error %s\n", rd_kafka_err2str(err));
                fflush(stdout);
                return -1;
        }
        return 0;
}

/* "--advertise 1=127.0.0.1:9092": applied after the real listeners were printed. */
static int parse_advertise_arg(rd_kafka_mock_cluster_t *mc, int brokers, const char *arg) {
        char host[256];
        int id, port;
        if (sscanf(arg, "%d=%255[^:]:%d", &id, host, &port) != 3) return -1;
        if (id < 1 || id > brokers || port < 1 || port > 65535) return -1;
        rd_kafka_mock_broker_set_host_port(mc, id, host, port);
        return 0;
}

static int parse_topic_arg(rd_kafka_mock_cluster_t *mc, const char *arg) {
        char name[250];
        const char *colon = strrchr(arg, ':');
        size_t len;
        int partitions;
        if (!colon || colon == arg) return -1;
        len = (size_t)(colon - arg);
        if (len >= sizeof(name)) return -1;
        memcpy(name, arg, len);
        name[len]  = '\0';
        partitions = atoi(colon + 1);
        return create_topic(mc, name, partitions);
}

int main(int argc, char **argv) {
        char errstr[512];
        char line[1024];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
        int brokers = 1;
        int i;
        struct sigaction sa;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--brokers") && i + 1 < argc) {
                        brokers = atoi(argv[++i]);
                } else if ((!strcmp(argv[i], "--topic") || !strcmp(argv[i], "--advertise")) && i + 1 < argc) {
                        i++; /* handled after the cluster exists */
                } else {
                        usage(argv[0]);
                        return 2;
                }
        }
        if (brokers < 1 || brokers > 9) {
                fprintf(stderr, "--brokers must be between 1 and 9\n");
                return 2;
        }

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* The handle only does bookkeeping for the mock cluster. */
        conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr))) {
                fprintf(stderr, "conf: %s\n", errstr);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "rd_kafka_new: %s\n", errstr);
                return 1;
        }
        mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) {
                fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
                rd_kafka_destroy(rk);
                return 1;
        }
        /* Without this, Metadata reports controller 0 while brokers are 1..N and
         * kafkajs admin calls and idempotent producers fail to find broker 0. */
        rd_kafka_mock_set_controller_id(mc, 1);
        /* The mock parses only the LeaveGroup v0-2 body but advertises v4: kafkajs
         * would send v3 and a graceful leave would wait for the session timeout. */
        rd_kafka_mock_set_apiversion(mc, API_KEY_LEAVE_GROUP, 0, 2);
        rd_kafka_mock_group_initial_rebalance_delay_ms(mc, 0);

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--topic") && i + 1 < argc) {
                        if (parse_topic_arg(mc, argv[++i])) {
                                fprintf(stderr, "bad --topic %s (want name:partitions)\n", argv[i]);
                                rd_kafka_mock_cluster_destroy(mc);
                                rd_kafka_destroy(rk);
                                return 2;
                        }
                } else if (!strcmp(argv[i], "--brokers") || !strcmp(argv[i], "--advertise")) {
                        i++;
                }
        }

        /* The real listeners first: the bootstrap list reports advertised addresses once they are set. */
        printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);
        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--advertise") && i + 1 < argc) {
                        if (parse_advertise_arg(mc, brokers, argv[++i])) {
                                fprintf(stderr, "bad --advertise %s (want id=host:port, id 1..%d)\n", argv[i], brokers);
                                rd_kafka_mock_cluster_destroy(mc);
                                rd_kafka_destroy(rk);
                                return 2;
                        }
                } else if (!strcmp(argv[i], "--brokers") || !strcmp(argv[i], "--topic")) {
                        i++;
                }
        }

        while (!stop_requested && fgets(line, sizeof(line), stdin)) {
                char name[250];
                int partitions;
                line[strcspn(line, "\r\n")] = '\0';
                if (!strcmp(line, "quit")) break;
                if (sscanf(line, "topic %249s %d", name, &partitions) == 2) {
                        if (!create_topic(mc, name, partitions)) {
                                printf("ok topic %s\n", name);
                                fflush(stdout);
                        }
                } else if (line[0] != '\0') {
                        printf("error unknown command: %s\n", line);
                        fflush(stdout);
                }
        }

        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
