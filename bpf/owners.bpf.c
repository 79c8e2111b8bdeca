// SPDX-License-Identifier: GPL-2.0
/*
 * Who holds each watched socket, for sockets finwatch did not see being
 * opened: a task_file iterator (5.8, "bpf: Add task and task/file
 * iterator targets") visits every open file of every process in the
 * kernel, where `ss -p` reads every /proc/PID/fd link one syscall at a
 * time. Only sockets on watched ports are reported.
 */
#include "common.bpf.h"

#define S_IFMT 00170000
#define S_IFSOCK 0140000

SEC("iter/task_file")
int fw_iter_task_file(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;
	struct fw_socket_owner owner = {};
	struct socket *sock;
	struct inode *inode;
	__u16 lport, rport;
	struct sock *sk;

	if (!file || !task)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || !fw_sock_watched(sk, &lport, &rport))
		return 0;
	owner.inode = BPF_CORE_READ(inode, i_ino);
	owner.pid = BPF_CORE_READ(task, tgid);
	BPF_CORE_READ_STR_INTO(&owner.comm, task, group_leader, comm);
	bpf_seq_write(ctx->meta->seq, &owner, sizeof(owner));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
